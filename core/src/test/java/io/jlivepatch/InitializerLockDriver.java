package io.jlivepatch;

import initapp.Fix;
import initapp.InitHook;
import initapp.Target;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Run in a fresh JVM by {@link InitializerLockTest}: a patch class's static initializer that calls
 * jlivepatch's API while a postPatch callback, run under jlivepatch's lock by another thread, needs
 * that class. The initializer runs at the first call of the replacement, on the application's thread
 * (a thread started during the transition, so in the patched state), which holds the class's
 * initialization lock; the callback runs when the main thread forces the transition, which a thread
 * inside the original method holds open.
 *
 * <p>{@code disable}: the initializer disables the patch once the callback is running (the callback
 * says so before it touches the class). Before, the disable waited for jlivepatch's lock, which the
 * callback held while it waited for the class: both for ever. {@code await}: the initializer waits
 * for the transition ({@code awaitTransition}, a day), and the main thread forces it once that wait
 * has let go of the lock. Before, the wait took the lock again before returning, which the forcing
 * thread held while its callback waited for the class: both for ever. Prints {@code RESULT ok}.
 */
public final class InitializerLockDriver {

    private static final CountDownLatch IN_INITIALIZER = new CountDownLatch(1);
    private static final CountDownLatch IN_CALLBACK = new CountDownLatch(1);

    private static volatile PatchHandle handle;
    private static volatile String outcome;
    private static volatile boolean awaitReturned;

    private InitializerLockDriver() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Livepatch lp = TestSupport.livepatch();
        PatchHandle h = lp.register(Patch.builder("init-lock")
                .replace(Target.class.getMethod("get", boolean.class),
                        Fix.class.getMethod("get", Target.class, boolean.class))
                .callbacks("initapp.Target", new Callbacks() {
                    @Override
                    public void postPatch(Class<?> target) {
                        IN_CALLBACK.countDown();
                        Fix.touch(); // waits for Fix's initialization, whichever thread runs it
                    }
                }).build());
        handle = h;
        InitHook.run = mode.equals("disable") ? InitializerLockDriver::disableFromInitializer
                : InitializerLockDriver::awaitFromInitializer;

        Thread holder = new Thread(() -> new Target().get(true), "holder");
        holder.start();
        Target.HOLDING.await(); // inside the original method: the transition cannot complete
        h.enable();
        check(h.inTransition(), "the transition is held open");

        String[] answer = new String[1];
        Thread first = new Thread(() -> answer[0] = new Target().get(false), "first-caller");
        first.start();
        IN_INITIALIZER.await();
        if (mode.equals("await")) {
            waitUntilTheInitializerWaitsOrReturned();
        }
        h.forceTransition(); // runs postPatch on this thread, under jlivepatch's lock
        first.join();
        Target.RELEASE.countDown();
        holder.join();

        System.out.println("outcome: " + outcome);
        check("patched".equals(answer[0]), "the first call runs the patch: " + answer[0]);
        if (mode.equals("disable")) {
            check(outcome != null && outcome.startsWith("ILLEGAL_STATE: cannot disable patch 'init-lock' from the"
                    + " static initializer of initapp.Fix"), "the disable from the initializer is refused at once");
        } else {
            check("false".equals(outcome), "awaitTransition from the initializer returns false at once");
        }
        check(h.isEnabled() && !h.inTransition(), "the forced patch is enabled");
        h.disable();
        check(h.awaitTransition(Duration.ofSeconds(30)), "the disable completes");
        check("original".equals(new Target().get(false)), "the original runs again");
        System.out.println("RESULT ok");
    }

    private static void disableFromInitializer() {
        IN_INITIALIZER.countDown();
        try {
            IN_CALLBACK.await(); // the callback runs, under jlivepatch's lock, and needs this class next
            handle.disable();
            outcome = "disabled";
        } catch (PatchException e) {
            outcome = e.reason() + ": " + e.getMessage();
        } catch (InterruptedException e) {
            outcome = "interrupted";
        }
    }

    private static void awaitFromInitializer() {
        IN_INITIALIZER.countDown();
        try {
            outcome = String.valueOf(handle.awaitTransition(Duration.ofDays(1)));
        } catch (InterruptedException e) {
            outcome = "interrupted";
        }
        awaitReturned = true;
    }

    /** Until the initializer's awaitTransition waits on the transition's end (the lock let go of), or has returned. */
    private static void waitUntilTheInitializerWaitsOrReturned() throws ReflectiveOperationException {
        Object registry = RegistryAccess.get();
        ReentrantLock klpMutex = (ReentrantLock) field(registry, "klpMutex");
        Condition transitionDone = (Condition) field(registry, "transitionDone");
        while (!awaitReturned) {
            klpMutex.lock();
            try {
                if (klpMutex.hasWaiters(transitionDone)) {
                    return;
                }
            } finally {
                klpMutex.unlock();
            }
            Thread.onSpinWait();
        }
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
