package initapp;

/**
 * What {@link Fix}'s static initializer runs, set by the driver: a field of a class of its own, since
 * writing one of Fix's would initialize Fix on the driver's thread.
 */
public final class InitHook {

    public static volatile Runnable run;

    private InitHook() {
    }
}
