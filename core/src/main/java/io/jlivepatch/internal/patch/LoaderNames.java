package io.jlivepatch.internal.patch;

/** How a class loader is named in status and logs. */
public final class LoaderNames {

    /** What status says of a loader when even {@link #of} fails for it. */
    public static final String UNREADABLE = "a class loader whose name could not be read";

    private LoaderNames() {
    }

    public static String of(ClassLoader loader) {
        if (loader == null) {
            return "bootstrap";
        }
        String name;
        try {
            name = loader.getName();
        } catch (Throwable e) { // an application's loader may override getName, and it may throw: named by its class
            name = null;
        }
        if (name == null) {
            name = loader.getClass().getName();
        }
        return name + "@" + Integer.toHexString(System.identityHashCode(loader));
    }
}
