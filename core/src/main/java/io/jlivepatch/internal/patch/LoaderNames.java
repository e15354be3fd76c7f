package io.jlivepatch.internal.patch;

/** How a class loader is named in status and logs. */
public final class LoaderNames {

    private LoaderNames() {
    }

    public static String of(ClassLoader loader) {
        if (loader == null) {
            return "bootstrap";
        }
        String name = loader.getName();
        if (name == null) {
            name = loader.getClass().getName();
        }
        return name + "@" + Integer.toHexString(System.identityHashCode(loader));
    }
}
