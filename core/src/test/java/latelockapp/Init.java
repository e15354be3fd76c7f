package latelockapp;

/**
 * The class whose static initializer makes Late's first call in LateCallbackLockDriver; the second
 * patch's prePatch touches it, and so waits for that initializer.
 */
public final class Init {

    static {
        Runnable r = InitHook.run;
        if (r != null) {
            r.run();
        }
    }

    private Init() {
    }

    /** What the prePatch calls: it needs the class initialized. */
    public static void touch() {
    }
}
