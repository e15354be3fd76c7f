package io.jlivepatch;

import io.jlivepatch.internal.bootstrap.Dispatch;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * In a JVM of its own (Dispatch takes one resolver per JVM): a hooked method whose first link ran out
 * of stack (its first call came at the edge of a thread's stack) and whose next link is a nested one
 * (the linker itself meets the method while it links another) is resolved by the outer link, not
 * bound unresolved for good. The JVM binds a nested site to the guard its bootstrap returns and never
 * bootstraps it again, so only the outer link (or the next change's relink of every site) can make
 * that guard route to the replacement. The shortage is thrown by the resolver itself, as the linker's
 * own code meets it at the edge of the stack: the same every run.
 */
public final class DispatchUnresolvedNestedDriver {

    private static final MethodType GUARD = MethodType.methodType(boolean.class);
    private static final MethodHandle TRUE = MethodHandles.constant(boolean.class, true);
    private static final AtomicInteger INNER_RESOLUTIONS = new AtomicInteger();
    private static volatile Object innerGuard;

    @SuppressWarnings("unused") // the outer hooked method
    private static boolean outer() {
        return false;
    }

    @SuppressWarnings("unused") // the hooked method whose first link ran out of stack
    private static boolean inner() {
        return false;
    }

    public static void main(String[] args) throws Throwable {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        boolean installed = Dispatch.install((owner, key) -> {
            if (owner != DispatchUnresolvedNestedDriver.class) {
                return null; // the warm-up's site
            }
            if (key.equals("outer()Z")) {
                // What the JVM does when the resolver's code executes a hooked method not linked yet.
                innerGuard = Dispatch.bootstrap(lookup, "guard", GUARD, "inner()Z");
                return new MethodHandle[] {TRUE, TRUE};
            }
            if (key.equals("inner()Z") && INNER_RESOLUTIONS.getAndIncrement() == 0) {
                throw new StackOverflowError("the first resolution of inner()Z runs out of stack");
            }
            return new MethodHandle[] {TRUE, TRUE};
        });
        check(installed, "the resolver was installed");

        // inner's first call, at the edge of its thread's stack: its link throws, the JVM records
        // nothing and the site bootstraps again at its next execution.
        try {
            Dispatch.bootstrap(lookup, "guard", GUARD, "inner()Z");
            check(false, "inner's first link did not throw its resolution's StackOverflowError");
        } catch (StackOverflowError expected) {
            System.out.println("inner's first link threw " + expected);
        }
        // Its next execution comes inside the link of another hooked method.
        Dispatch.bootstrap(lookup, "guard", GUARD, "outer()Z");
        check(innerGuard instanceof MutableCallSite, "the nested bootstrap returned its site");
        boolean routes = (boolean) ((MutableCallSite) innerGuard).getTarget().invokeExact();
        check(routes, "inner's guard, bound by its nested link, is still false (the original code, until the next"
                + " change relinks every site): resolved " + INNER_RESOLUTIONS.get() + " time(s)");
        System.out.println("RESULT ok");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
