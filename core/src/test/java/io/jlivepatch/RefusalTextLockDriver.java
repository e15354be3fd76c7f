package io.jlivepatch;

import latelockapp.Init;
import latelockapp.InitHook;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * Run in a fresh JVM by {@link RefusalTextLockTest}. A patch with callbacks for two classes defined
 * after it was enabled: RefusedLate's prePatch throws an exception whose text (toString) waits for
 * class Init's static initializer, and that initializer, on another thread, makes WaitingLate's first
 * call while the refusal is being described (jlivepatch's lock taken: the call is deferred, it waits
 * for no callback).
 *
 * <p>Before, the refusal's text was made holding the patch's callbacks' monitor, which the deferred call
 * asks for (are WaitingLate's callbacks pending?): the initializer waited for the text, the text for the
 * initializer, for ever, the patch's lock with them. Now the text is made before: the deferred call
 * runs WaitingLate's own code, the initializer ends, RefusedLate is refused. Prints {@code RESULT ok}.
 */
public final class RefusalTextLockDriver {

    private static final CountDownLatch IN_INITIALIZER = new CountDownLatch(1);
    private static final CountDownLatch IN_TEXT = new CountDownLatch(1);
    private static volatile String fromInitializer;

    private RefusalTextLockDriver() {
    }

    public static String patchedGet(Object self) {
        return "patched";
    }

    /** Thrown by RefusedLate's prePatch: its text, made first while the refusal is recorded, needs Init. */
    static final class Hostile extends IllegalStateException {
        Hostile() {
            super("prePatch of RefusedLate fails on purpose");
        }

        @Override
        public String toString() {
            IN_TEXT.countDown();
            Init.touch(); // waits for Init's initializer, which the other thread runs
            return super.toString();
        }
    }

    public static void main(String[] args) throws Exception {
        Livepatch lp = TestSupport.livepatch();
        Callbacks refusing = new Callbacks() {
            @Override
            public void prePatch(Class<?> target) {
                throw new Hostile();
            }
        };
        Callbacks quiet = new Callbacks() {
        };
        PatchHandle h = lp.register(Patch.builder("refusal-text")
                .replace("refusetextapp.RefusedLate", "get", "()Ljava/lang/String;",
                        RefusalTextLockDriver.class.getMethod("patchedGet", Object.class))
                .replace("refusetextapp.WaitingLate", "get", "()Ljava/lang/String;",
                        RefusalTextLockDriver.class.getMethod("patchedGet", Object.class))
                .callbacks("refusetextapp.RefusedLate", refusing)
                .callbacks("refusetextapp.WaitingLate", quiet).build());
        h.enable(); // neither class is loaded yet: their callbacks run at their first calls
        check(h.awaitTransition(Duration.ofSeconds(30)), "the patch is enabled");

        InitHook.run = () -> {
            IN_INITIALIZER.countDown();
            try {
                IN_TEXT.await(); // the refusal's text is being made, jlivepatch's lock taken
                fromInitializer = make("refusetextapp.WaitingLate").get();
            } catch (InterruptedException | ReflectiveOperationException e) {
                fromInitializer = e.toString();
            }
        };
        Thread initializer = new Thread(Init::touch, "initializer");
        initializer.start();
        IN_INITIALIZER.await();
        String refused = make("refusetextapp.RefusedLate").get(); // its prePatch throws Hostile
        initializer.join();

        check("original".equals(refused), "RefusedLate's prePatch refused it: its own code runs: " + refused);
        check("original".equals(fromInitializer), "the call from the initializer, deferred, ran WaitingLate's own"
                + " code: " + fromInitializer);
        check("patched".equals(make("refusetextapp.WaitingLate").get()), "a call from elsewhere runs its callbacks"
                + " and the patch");
        h.disable();
        check(h.awaitTransition(Duration.ofSeconds(30)), "the disable completes");
        System.out.println("RESULT ok");
    }

    @SuppressWarnings("unchecked")
    private static Supplier<String> make(String name) throws ReflectiveOperationException {
        return (Supplier<String>) Class.forName(name).getDeclaredConstructor().newInstance();
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
