package io.jlivepatch;

import shadowctorapp.Other;
import shadowctorapp.Target;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Run in a fresh JVM by {@link ShadowCtorLockTest}: a shadow variable's ctor, on an application
 * thread, calls jlivepatch's API while a prePatch callback, run under jlivepatch's lock by the
 * enabling thread, asks for that variable and so waits for the ctor ({@code Shadow.getOrAttach} runs
 * a ctor once per variable: every other thread that asks for it waits for it).
 *
 * <p>{@code enable}: the ctor enables another patch once the callback runs. Before, the enable waited
 * for jlivepatch's lock, which the callback held while it waited for the ctor: both for ever, the
 * enable never returned and every command BUSY. {@code await}: the ctor waits a day for the patch's
 * transition; before, it waited for the lock, for the day. In both the ctor reads status first, which
 * takes no lock. Prints {@code RESULT ok}.
 */
public final class ShadowCtorLockDriver {

    private static final long ID = 0x6a6c_7001_0000_0134L;
    private static final Object KEY = new Object();
    private static final CountDownLatch IN_CTOR = new CountDownLatch(1);
    private static final CountDownLatch IN_CALLBACK = new CountDownLatch(1);

    private static volatile PatchHandle handle;
    private static volatile PatchHandle other;
    private static volatile String outcome;
    private static volatile String status;
    private static volatile Object seenByCallback;
    private static volatile Object made;

    private ShadowCtorLockDriver() {
    }

    public static String get(Target self) {
        return "patched";
    }

    public static String otherGet(Other self) {
        return "patched";
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Livepatch lp = TestSupport.livepatch(); // first: Shadow is then the boot loader's copy
        PatchHandle h = lp.register(Patch.builder("shadow-ctor-lock")
                .replace(Target.class.getMethod("get"), ShadowCtorLockDriver.class.getMethod("get", Target.class))
                .callbacks("shadowctorapp.Target", new Callbacks() {
                    @Override
                    public void prePatch(Class<?> target) {
                        IN_CALLBACK.countDown();
                        seenByCallback = Shadow.getOrAttach(KEY, ID, () -> "the callback's"); // waits for the maker's ctor
                    }
                }).build());
        handle = h;
        other = lp.register(Patch.builder("shadow-ctor-other")
                .replace(Other.class.getMethod("get"), ShadowCtorLockDriver.class.getMethod("otherGet", Other.class))
                .build());
        new Target().get();
        new Other().get();

        Thread maker = new Thread(() -> made = Shadow.getOrAttach(KEY, ID, () -> {
            IN_CTOR.countDown();
            await(IN_CALLBACK); // the callback runs, under jlivepatch's lock, and asks for this variable next
            status = handle.functions() + " " + Livepatch.get().patches();
            outcome = mode.equals("enable") ? enableOther() : awaitTransition();
            return "the maker's";
        }), "maker");
        maker.start();
        await(IN_CTOR);
        h.enable(); // its prePatch waits for the maker's ctor
        maker.join();

        System.out.println("outcome: " + outcome);
        if (mode.equals("enable")) {
            check(outcome != null && outcome.startsWith("ILLEGAL_STATE: cannot enable patch 'shadow-ctor-other' from"
                    + " the ctor of a shadow variable (Shadow.getOrAttach or attach): other threads that ask for that"
                    + " variable wait for this ctor"), "the enable from the ctor is refused at once");
        } else {
            check("false".equals(outcome), "awaitTransition from the ctor returns false at once");
        }
        check(status != null && status.contains("shadow-ctor-lock"), "the ctor reads status: " + status);
        check("the maker's".equals(made) && "the maker's".equals(seenByCallback),
                "one value, the ctor's: " + made + ", " + seenByCallback);
        check(h.awaitTransition(Duration.ofSeconds(30)) && h.isEnabled(), "the enable completes");
        check("patched".equals(new Target().get()), "the patch runs");
        check(!other.isEnabled(), "the refused enable changed nothing");
        other.enable(); // every later operation works
        check(other.awaitTransition(Duration.ofSeconds(30)) && "patched".equals(new Other().get()), "the other patch runs");
        other.disable();
        check(other.awaitTransition(Duration.ofSeconds(30)), "its disable completes");
        h.disable();
        check(h.awaitTransition(Duration.ofSeconds(30)), "the disable completes");
        check("original".equals(new Target().get()) && "original".equals(new Other().get()), "the originals run again");
        System.out.println("RESULT ok");
    }

    private static String enableOther() {
        try {
            other.enable();
            return "enabled";
        } catch (PatchException e) {
            return e.reason() + ": " + e.getMessage();
        }
    }

    private static String awaitTransition() {
        try {
            return String.valueOf(handle.awaitTransition(Duration.ofDays(1)));
        } catch (InterruptedException e) {
            return "interrupted";
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
