package com.acme.selectstall.fix;

import io.jlivepatch.Next;
import io.jlivepatch.Replaces;

import java.lang.invoke.MethodHandle;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A patch of the selector's {@code doSelect} (which the select runs holding the selector's lock) that,
 * on the control socket's accepting thread and while the system property {@link #STALL} is set, never
 * returns, wake-up or not: what a patch that blocks there, or a JDK bug, does. Everywhere else it runs
 * the method's own code. It notes that it holds the thread in the system property {@link #STALLED}
 * (its class loader is the boot loader's child: a system property is what both sides see).
 */
public final class StallingSelect {

    public static final String STALL = "selectstall.stall";
    public static final String STALLED = "selectstall.stalled";

    private StallingSelect() {
    }

    @Replaces(target = "sun.nio.ch.EPollSelectorImpl", method = "doSelect",
            descriptor = "(Ljava/util/function/Consumer;J)I")
    public static int doSelect(Selector self, Consumer<SelectionKey> action, long timeout, @Next MethodHandle next)
            throws java.io.IOException {
        if (Thread.currentThread().getName().equals("jlivepatch-control") && System.getProperty(STALL) != null) {
            System.setProperty(STALLED, "yes");
            while (System.getProperty(STALL) != null) {
                LockSupport.parkNanos(10_000_000L); // released only by the property's removal
            }
        }
        try {
            return (int) next.invokeExact(self, action, timeout);
        } catch (java.io.IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
