package io.jlivepatch;

import latelockapp.Init;
import latelockapp.InitHook;
import latelockapp.Other;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * Run in a fresh JVM by {@link LateCallbackLockTest}: as {@link LateCallbackLockDriver}'s {@code
 * initializer} case, a late class's first call deferred from a static initializer while jlivepatch's
 * lock is taken, with three patches whose callbacks for the class are still to run ({@code
 * late-lock-1} to {@code -3}) above one without callbacks for it ({@code late-plain}, a security fix
 * say). The deferred call must run {@code late-plain}'s version, the topmost with nothing left to run
 * in the class, as README and the WARNING say; the fallback sides of the guard removed one pending
 * version a level, at most two, and the call ran the class's own code. Prints {@code RESULT ok}.
 */
public final class DeepLateCallbackLockDriver {

    private static final String LATE = "latelockapp.Late";
    private static final int PENDING = 3;
    private static final CountDownLatch IN_HELD = new CountDownLatch(1);
    private static final CountDownLatch IN_CALLBACK = new CountDownLatch(1);
    private static final List<String> EVENTS = Collections.synchronizedList(new ArrayList<>());

    private static volatile Supplier<String> instance;
    private static volatile String first;

    private DeepLateCallbackLockDriver() {
    }

    public static String lateGet(Object self) {
        return "patched";
    }

    public static String otherGet(Other self) {
        return "patched";
    }

    public static String plainGet(Object self) {
        return "plain";
    }

    public static void main(String[] args) throws Exception {
        Livepatch lp = TestSupport.livepatch();
        List<PatchHandle> enabled = new ArrayList<>();
        PatchHandle plain = lp.register(Patch.builder("late-plain")
                .replace(LATE, "get", "()Ljava/lang/String;",
                        DeepLateCallbackLockDriver.class.getMethod("plainGet", Object.class)).build());
        enable(plain, enabled);
        for (int i = 1; i <= PENDING; i++) {
            String name = "late-lock-" + i;
            enable(lp.register(Patch.builder(name)
                    .replace(LATE, "get", "()Ljava/lang/String;",
                            DeepLateCallbackLockDriver.class.getMethod("lateGet", Object.class))
                    .callbacks(LATE, new Callbacks() {
                        @Override
                        public void prePatch(Class<?> target) {
                            EVENTS.add(name);
                        }
                    }).build()), enabled); // Late is not loaded yet: their callbacks run at its first call
        }
        check(EVENTS.isEmpty(), "no callback ran yet: " + EVENTS);
        PatchHandle holder = lp.register(Patch.builder("late-lock-holder")
                .replace(Other.class.getMethod("get"),
                        DeepLateCallbackLockDriver.class.getMethod("otherGet", Other.class))
                .callbacks("latelockapp.Other", new Callbacks() {
                    @Override
                    public void prePatch(Class<?> target) {
                        IN_CALLBACK.countDown();
                        Init.touch(); // waits for Init's initializer
                    }
                }).build());
        InitHook.run = DeepLateCallbackLockDriver::callLateWhileHeld;
        Thread firstCaller = new Thread(Init::touch, "first-caller"); // runs Init's initializer
        firstCaller.start();
        IN_HELD.await();
        holder.enable(); // its prePatch, under jlivepatch's lock, waits for the first caller
        firstCaller.join();
        System.out.println("first call: " + first + "; events " + EVENTS);
        check("plain".equals(first), "the deferred call runs late-plain's version, the topmost with no callbacks"
                + " left to run in Late, not Late's own code: " + first);
        check(EVENTS.isEmpty(), "no callback of Late ran yet: " + EVENTS);
        enabled.add(holder);
        check(holder.awaitTransition(Duration.ofSeconds(30)), "the other enable completes");
        check("patched".equals(instance.get()) && EVENTS.size() == PENDING,
                "the next call, from elsewhere, runs the callbacks and the top patch: " + EVENTS);
        Collections.reverse(enabled);
        for (PatchHandle h : enabled) {
            h.disable();
            check(h.awaitTransition(Duration.ofSeconds(30)), h.name() + "'s disable completes");
        }
        check("original".equals(instance.get()), "the original runs again: " + instance.get());
        System.out.println("RESULT ok");
    }

    private static void enable(PatchHandle h, List<PatchHandle> enabled) throws PatchException, InterruptedException {
        h.enable();
        check(h.awaitTransition(Duration.ofSeconds(30)), h.name() + " is enabled");
        enabled.add(h);
    }

    /** In the initializer: Late's first call, once the other patch's prePatch holds the lock. */
    @SuppressWarnings("unchecked")
    private static void callLateWhileHeld() {
        IN_HELD.countDown();
        try {
            IN_CALLBACK.await(); // the prePatch runs, under jlivepatch's lock, and waits for this thread next
            Supplier<String> s = (Supplier<String>) Class.forName(LATE).getDeclaredConstructor().newInstance();
            instance = s;
            first = s.get();
        } catch (InterruptedException | ReflectiveOperationException e) {
            first = e.toString();
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
