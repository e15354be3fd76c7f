package watchapp.fix;

import io.jlivepatch.PrePatch;
import io.jlivepatch.Replaces;

/**
 * A patch of the watched directory's tests whose prePatch leaves a thread-local on the thread that
 * enables it, its value the patch's own class (a formatter cached per thread, say): on a thread
 * that lives on, that keeps the patch's class loader reachable after the patch is unloaded.
 */
public final class GreetingThreadLocal {

    private static final ThreadLocal<Object> CACHED = new ThreadLocal<>();

    private GreetingThreadLocal() {
    }

    @Replaces(target = "watchapp.Greeting", method = "greet")
    public static String greet(String who) {
        return "T " + who;
    }

    @PrePatch("watchapp.Greeting")
    public static void prepare(Class<?> target) {
        CACHED.set(GreetingThreadLocal.class);
        watchapp.PatchLoaders.seen(GreetingThreadLocal.class.getClassLoader());
    }
}
