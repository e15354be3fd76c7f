package io.jlivepatch;

import io.jlivepatch.internal.bootstrap.Dispatch;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * In a JVM of its own (Dispatch takes one resolver per JVM): a site linked by a nested bootstrap (a
 * hooked method met while the resolver links another) is never bound unresolved for good. The JVM
 * links a nested site to what its bootstrap returned and never bootstraps it again, so only the outer
 * link (its next try: the JVM bootstraps a site again whose bootstrap threw a StackOverflowError) or
 * the next change's relink of every site can resolve it. Mode {@code resolution}: the nested site's
 * resolution by the outer link runs out of stack. Mode {@code first-link}: the method's own first link
 * ran out of stack (its first call came at the edge of a thread's stack) and its next link is the
 * nested one. The shortage is thrown by the resolver itself, as the linker's own code meets it at the
 * edge of the stack: the same every run.
 */
public final class DispatchPendingShortageDriver {

    private static final MethodType GUARD = MethodType.methodType(boolean.class);
    private static final MethodHandle TRUE = MethodHandles.constant(boolean.class, true);
    private static final AtomicInteger INNER_RESOLUTIONS = new AtomicInteger();
    private static volatile Object innerGuard;

    @SuppressWarnings("unused") // the outer hooked method
    private static boolean outer() {
        return false;
    }

    @SuppressWarnings("unused") // the hooked method the outer link meets (first-link: whose first link ran out of stack)
    private static boolean inner() {
        return false;
    }

    public static void main(String[] args) throws Throwable {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        boolean installed = Dispatch.install((owner, key) -> {
            if (owner != DispatchPendingShortageDriver.class) {
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

        if (args[0].equals("first-link")) {
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
        } else {
            // The outer site's first execution, and its next one if that link threw (the JVM does not
            // record a StackOverflowError of a bootstrap: the site bootstraps again).
            try {
                Dispatch.bootstrap(lookup, "guard", GUARD, "outer()Z");
            } catch (StackOverflowError e) {
                System.out.println("the outer link threw " + e + "; its site bootstraps again");
                Dispatch.bootstrap(lookup, "guard", GUARD, "outer()Z");
            }
        }
        check(innerGuard instanceof MutableCallSite, "the nested bootstrap returned its site");
        boolean routes = (boolean) ((MutableCallSite) innerGuard).getTarget().invokeExact();
        check(routes, "the nested site's guard is still false (the original code, until the next change relinks every site) after "
                + (args[0].equals("first-link") ? "its own first link" : "its first resolution") + " ran out of stack: resolved "
                + INNER_RESOLUTIONS.get() + " time(s)");
        System.out.println("RESULT ok");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
