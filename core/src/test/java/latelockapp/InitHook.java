package latelockapp;

/** What {@link Init}'s static initializer runs, set by the driver (as initapp.InitHook). */
public final class InitHook {

    public static volatile Runnable run;

    private InitHook() {
    }
}
