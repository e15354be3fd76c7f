package watchapp;

import java.lang.ref.WeakReference;

/** Where a test patch's callback says which class loader its classes have, held weakly. */
public final class PatchLoaders {

    private static volatile WeakReference<ClassLoader> last;

    private PatchLoaders() {
    }

    public static void seen(ClassLoader loader) {
        last = new WeakReference<>(loader);
    }

    /** The class loader the last callback said, weakly; {@code null} before any. */
    public static WeakReference<ClassLoader> last() {
        return last;
    }
}
