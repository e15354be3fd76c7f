package jarapp;

/**
 * A functional interface that is not public: before JDK 23 a patch's lambda of it cannot be made
 * (Dispatch.lambda's MethodHandleProxies takes public interfaces only), so such a patch is refused at load.
 */
interface Labeller {
    String label(int n);
}
