package coexist.app;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Calls counted by the application's own Byte Buddy advice (coexist.bb): on the application's
 * class path, so that advice inlined into {@link Pricing} links to it from Pricing's class loader.
 */
public final class Calls {

    public static final AtomicInteger PRICE = new AtomicInteger();

    private Calls() {
    }
}
