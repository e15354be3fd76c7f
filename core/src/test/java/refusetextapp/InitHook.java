package refusetextapp;

/** What Init's static initializer runs, set before Init is initialized (a field of Init would initialize it). */
public final class InitHook {

    public static volatile Runnable run;

    private InitHook() {
    }
}
