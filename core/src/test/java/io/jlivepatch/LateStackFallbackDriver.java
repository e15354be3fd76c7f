package io.jlivepatch;

import latelockapp.Init;
import latelockapp.InitHook;
import latelockapp.Other;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/**
 * Run in a fresh JVM by {@link LateStackFallbackTest}: a stack of patches on Late.get, Late defined after
 * all of them were enabled, whose first calls come from Init's static initializer while another patch's
 * prePatch holds jlivepatch's lock and waits for that initializer (as in {@link LateCallbackLockDriver}).
 * Those calls cannot run Late's callbacks, so they run no version of a patch with callbacks for Late (a
 * waiting patch): the topmost version of a patch without, its {@code @Next} passing over the waiting
 * versions below it, or Late's own code when there is none. Then a call from main runs the callbacks and
 * the whole stack.
 *
 * <p>Arguments: the stack, bottom first, a letter a patch: {@code P} a plain version ({@code "v"}),
 * {@code N} one calling the version below ({@code "n(...)"}, {@code @Next}), both without callbacks;
 * {@code W} an {@code @Next} version ({@code "w(...)"}) and {@code X} a plain one ({@code "x"}), both of
 * patches with callbacks for Late. Then what the deferred calls must return, and what the calls after
 * the callbacks have run must. Prints {@code RESULT ok}.
 */
public final class LateStackFallbackDriver {

    private static final String LATE = "latelockapp.Late";
    private static final CountDownLatch IN_HELD = new CountDownLatch(1);
    private static final CountDownLatch IN_CALLBACK = new CountDownLatch(1);
    private static final List<String> EVENTS = Collections.synchronizedList(new ArrayList<>());
    private static final List<String> WARNINGS = Collections.synchronizedList(new ArrayList<>());

    private static volatile Supplier<String> instance;
    private static volatile String first;
    private static volatile String second;

    private LateStackFallbackDriver() {
    }

    public static String plain(Object self) {
        return "v";
    }

    public static String next(Object self, @Next MethodHandle next) throws Throwable {
        return "n(" + (String) next.invoke(self) + ")";
    }

    public static String waitingNext(Object self, @Next MethodHandle next) throws Throwable {
        return "w(" + (String) next.invoke(self) + ")";
    }

    public static String waitingPlain(Object self) {
        return "x";
    }

    public static String otherGet(Other self) {
        return "patched";
    }

    public static void main(String[] args) throws Exception {
        String stack = args[0];
        String deferred = args[1];
        String settled = args[2];
        Livepatch lp = TestSupport.livepatch();
        listen();
        List<PatchHandle> patches = new ArrayList<>();
        int waiting = 0;
        for (int i = 0; i < stack.length(); i++) {
            char kind = stack.charAt(i);
            String name = "late-" + i;
            Method m = switch (kind) {
                case 'P' -> LateStackFallbackDriver.class.getMethod("plain", Object.class);
                case 'N' -> LateStackFallbackDriver.class.getMethod("next", Object.class, MethodHandle.class);
                case 'W' -> LateStackFallbackDriver.class.getMethod("waitingNext", Object.class, MethodHandle.class);
                case 'X' -> LateStackFallbackDriver.class.getMethod("waitingPlain", Object.class);
                default -> throw new IllegalArgumentException("unknown kind " + kind);
            };
            Patch.Builder b = Patch.builder(name).replace(LATE, "get", "()Ljava/lang/String;", m);
            if (kind == 'W' || kind == 'X') {
                waiting++;
                b.callbacks(LATE, new Callbacks() {
                    @Override
                    public void prePatch(Class<?> target) {
                        EVENTS.add("prePatch " + name);
                    }

                    @Override
                    public void postPatch(Class<?> target) {
                        EVENTS.add("postPatch " + name);
                    }
                });
            }
            PatchHandle h = lp.register(b.build());
            h.enable(); // Late is not loaded yet: the callbacks run at its first call
            check(h.awaitTransition(Duration.ofSeconds(30)), name + " is enabled");
            patches.add(h);
        }
        check(EVENTS.isEmpty(), "no callback ran yet: " + EVENTS);
        PatchHandle holder = lp.register(Patch.builder("late-lock-holder")
                .replace(Other.class.getMethod("get"), LateStackFallbackDriver.class.getMethod("otherGet", Other.class))
                .callbacks("latelockapp.Other", new Callbacks() {
                    @Override
                    public void prePatch(Class<?> target) {
                        IN_CALLBACK.countDown();
                        Init.touch(); // waits for Init's initializer
                    }
                }).build());

        InitHook.run = LateStackFallbackDriver::callLateWhileHeld;
        Thread firstCaller = new Thread(Init::touch, "first-caller"); // runs Init's initializer
        firstCaller.start();
        IN_HELD.await();
        holder.enable(); // its prePatch, under jlivepatch's lock, waits for the first caller
        firstCaller.join();

        System.out.println("stack " + stack + ": first calls " + first + ", " + second + "; events " + EVENTS
                + "; " + WARNINGS.size() + " warnings");
        check(deferred.equals(first) && deferred.equals(second), "the calls from the initializer run " + deferred
                + ": " + first + ", " + second);
        check(holder.awaitTransition(Duration.ofSeconds(30)) && holder.isEnabled(), "the other enable completes");
        check(EVENTS.isEmpty(), "no callback of Late ran yet: " + EVENTS);
        for (int i = 0; i < stack.length(); i++) {
            String said = "'late-" + i + "': the callbacks of latelockapp.Late";
            long warned = WARNINGS.stream().filter(w -> w.contains(said)).count();
            boolean waits = stack.charAt(i) == 'W' || stack.charAt(i) == 'X';
            check(warned == (waits ? 1 : 0), "late-" + i + (waits ? " is" : " is not") + " said to wait, once: "
                    + WARNINGS);
        }

        check(settled.equals(instance.get()), "the next call, from elsewhere, runs the callbacks and " + settled
                + ": " + instance.get());
        check(EVENTS.size() == 2 * waiting, "each waiting patch's callbacks ran once: " + EVENTS);
        check(settled.equals(instance.get()) && EVENTS.size() == 2 * waiting, "later calls run " + settled);

        holder.disable();
        check(holder.awaitTransition(Duration.ofSeconds(30)), "the other disable completes");
        for (int i = patches.size() - 1; i >= 0; i--) {
            patches.get(i).disable();
            check(patches.get(i).awaitTransition(Duration.ofSeconds(30)), "late-" + i + "'s disable completes");
        }
        check("original".equals(instance.get()), "the original runs again: " + instance.get());
        System.out.println("RESULT ok");
    }

    /** In Init's initializer: Late's first calls, once the other patch's prePatch holds the lock. */
    @SuppressWarnings("unchecked")
    private static void callLateWhileHeld() {
        IN_HELD.countDown();
        try {
            IN_CALLBACK.await(); // the prePatch runs, under jlivepatch's lock, and waits for this thread next
            Supplier<String> s = (Supplier<String>) Class.forName(LATE).getDeclaredConstructor().newInstance();
            instance = s;
            first = s.get();
            second = s.get();
        } catch (InterruptedException | ReflectiveOperationException | RuntimeException e) {
            first = e.toString();
        }
    }

    private static void listen() {
        TestSupport.JLIVEPATCH_LOG.addHandler(new Handler() {
            private final SimpleFormatter formatter = new SimpleFormatter();

            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    WARNINGS.add(formatter.formatMessage(record));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
