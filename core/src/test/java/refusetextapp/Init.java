package refusetextapp;

/** The class whose static initializer RefusalTextLockDriver runs on a thread of its own ({@link InitHook}). */
public final class Init {

    static {
        Runnable r = InitHook.run;
        if (r != null) {
            r.run();
        }
    }

    private Init() {
    }

    /** Needs the class initialized. */
    public static void touch() {
    }
}
