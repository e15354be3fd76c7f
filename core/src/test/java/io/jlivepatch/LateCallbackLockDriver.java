package io.jlivepatch;

import latelockapp.Init;
import latelockapp.InitHook;
import latelockapp.Other;

import java.lang.invoke.MethodHandle;
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
 * Run in a fresh JVM by {@link LateCallbackLockTest}: the first call of a class defined after its
 * patch was enabled (its callbacks then run at that call, under jlivepatch's lock) made from a
 * shadow variable's ctor ({@code ctor}) or a class's static initializer ({@code initializer}), while
 * another patch's prePatch, run under that lock by the enabling thread, asks for the same variable
 * (waits for the ctor) or touches the class (waits for its initializer).
 *
 * <p>Before, the first call waited for the lock, which the prePatch held while it waited for the
 * first caller: both for ever, the enable never returned and every command BUSY. Now the call runs no
 * version of the patch (its callbacks have not run: none may), once warned of, status says so, and the
 * next call from elsewhere runs the callbacks and the patch.
 *
 * <p>Late.get has two more patches, without callbacks: {@code late-plain} below the patch, and
 * {@code late-top} above it, whose version calls the one below ({@code @Next}). The deferred calls run
 * theirs, {@code late-top}'s calling {@code late-plain}'s past the patch's: nothing of theirs is left to
 * run in Late. Before, those calls ran Late's own code, their fixes bypassed. Prints {@code RESULT ok}.
 */
public final class LateCallbackLockDriver {

    private static final String LATE = "latelockapp.Late";
    private static final long ID = 0x6a6c_7001_0000_0136L;
    private static final Object KEY = new Object();
    private static final CountDownLatch IN_HELD = new CountDownLatch(1);
    private static final CountDownLatch IN_CALLBACK = new CountDownLatch(1);
    private static final List<String> EVENTS = Collections.synchronizedList(new ArrayList<>());
    private static final List<String> WARNINGS = Collections.synchronizedList(new ArrayList<>());

    private static volatile PatchHandle late;
    private static volatile Supplier<String> instance;
    private static volatile String first;
    private static volatile String second;
    private static volatile String detailWhileHeld;
    private static volatile Object made;
    private static volatile Object seenByCallback;

    private LateCallbackLockDriver() {
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

    public static String topGet(Object self, @Next MethodHandle next) throws Throwable {
        return "top(" + (String) next.invoke(self) + ")";
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Livepatch lp = TestSupport.livepatch(); // first: Shadow is then the boot loader's copy
        listen();
        PatchHandle plain = lp.register(Patch.builder("late-plain")
                .replace(LATE, "get", "()Ljava/lang/String;",
                        LateCallbackLockDriver.class.getMethod("plainGet", Object.class)).build());
        plain.enable();
        check(plain.awaitTransition(Duration.ofSeconds(30)), "late-plain is enabled");
        PatchHandle h = lp.register(Patch.builder("late-lock")
                .replace(LATE, "get", "()Ljava/lang/String;",
                        LateCallbackLockDriver.class.getMethod("lateGet", Object.class))
                .callbacks(LATE, new Callbacks() {
                    @Override
                    public void prePatch(Class<?> target) {
                        EVENTS.add("prePatch");
                    }

                    @Override
                    public void postPatch(Class<?> target) {
                        EVENTS.add("postPatch");
                    }
                }).build());
        late = h;
        h.enable(); // Late is not loaded yet: its callbacks run at its first call
        check(h.awaitTransition(Duration.ofSeconds(30)) && EVENTS.isEmpty(), "the patch is enabled, no callback ran");
        PatchHandle top = lp.register(Patch.builder("late-top")
                .replace(LATE, "get", "()Ljava/lang/String;", LateCallbackLockDriver.class.getMethod("topGet",
                        Object.class, MethodHandle.class)).build());
        top.enable();
        check(top.awaitTransition(Duration.ofSeconds(30)), "late-top is enabled");
        PatchHandle holder = lp.register(Patch.builder("late-lock-holder")
                .replace(Other.class.getMethod("get"), LateCallbackLockDriver.class.getMethod("otherGet", Other.class))
                .callbacks("latelockapp.Other", new Callbacks() {
                    @Override
                    public void prePatch(Class<?> target) {
                        IN_CALLBACK.countDown();
                        if (mode.equals("ctor")) {
                            seenByCallback = Shadow.getOrAttach(KEY, ID, () -> "the callback's"); // waits for the ctor
                        } else {
                            Init.touch(); // waits for Init's initializer
                        }
                    }
                }).build());

        Thread firstCaller;
        if (mode.equals("ctor")) {
            firstCaller = new Thread(() -> made = Shadow.getOrAttach(KEY, ID, () -> {
                callLateWhileHeld();
                return "the maker's";
            }), "first-caller");
        } else {
            InitHook.run = LateCallbackLockDriver::callLateWhileHeld;
            firstCaller = new Thread(Init::touch, "first-caller"); // runs Init's initializer
        }
        firstCaller.start();
        IN_HELD.await();
        holder.enable(); // its prePatch, under jlivepatch's lock, waits for the first caller
        firstCaller.join();

        System.out.println("first calls: " + first + ", " + second + "; events " + EVENTS + "; warnings " + WARNINGS
                + "; status " + detailWhileHeld);
        check("top(plain)".equals(first) && "top(plain)".equals(second), "the calls from the " + mode + " run the"
                + " versions of the patches with no callbacks left to run in Late, not the patch's: " + first + ", "
                + second);
        check(mode.equals("initializer") || "the maker's".equals(made) && "the maker's".equals(seenByCallback),
                "one value, the ctor's: " + made + ", " + seenByCallback);
        check(holder.awaitTransition(Duration.ofSeconds(30)) && holder.isEnabled(), "the other enable completes");
        check(EVENTS.isEmpty(), "no callback of Late ran yet: " + EVENTS);
        String why = mode.equals("ctor") ? "the ctor of a shadow variable" : "the static initializer of latelockapp.Init";
        check(detailWhileHeld != null && detailWhileHeld.contains("callbacks have not run yet")
                && detailWhileHeld.contains(why), "status says why the patch does not run yet: " + detailWhileHeld);
        long warned = WARNINGS.stream().filter(w -> w.contains("'late-lock': the callbacks of latelockapp.Late")
                && w.contains(why)).count();
        check(warned == 1, "one warning says why, for both calls: " + WARNINGS);
        // late-top, which runs, is above the patch: what runs is told as the topmost runnable version, not "below"
        String runs = "the topmost version of a patch with no callbacks left to run for it";
        check(detailWhileHeld.contains(runs) && !detailWhileHeld.contains("version below"),
                "status says what runs meanwhile: " + detailWhileHeld);
        check(WARNINGS.stream().allMatch(w -> !w.contains("'late-lock': the callbacks of") || w.contains(runs)
                && !w.contains("version below")), "the warning says what runs meanwhile: " + WARNINGS);

        check("top(patched)".equals(instance.get()), "the next call, from elsewhere, runs the callbacks and the patch");
        check(EVENTS.equals(List.of("prePatch", "postPatch")), "Late's callbacks ran once: " + EVENTS);
        check(!detail(h).contains("callbacks have not run yet"), "status no longer says so: " + detail(h));
        check("top(patched)".equals(instance.get()) && EVENTS.size() == 2, "later calls run the patch");

        holder.disable();
        check(holder.awaitTransition(Duration.ofSeconds(30)), "the other disable completes");
        top.disable();
        check(top.awaitTransition(Duration.ofSeconds(30)), "late-top's disable completes");
        h.disable();
        check(h.awaitTransition(Duration.ofSeconds(30)), "the disable completes");
        check("plain".equals(instance.get()), "late-plain's version runs again: " + instance.get());
        plain.disable();
        check(plain.awaitTransition(Duration.ofSeconds(30)), "late-plain's disable completes");
        check("original".equals(instance.get()) && "original".equals(new Other().get()), "the originals run again");
        System.out.println("RESULT ok");
    }

    /** In the ctor or the initializer: Late's first calls, once the other patch's prePatch holds the lock. */
    @SuppressWarnings("unchecked")
    private static void callLateWhileHeld() {
        IN_HELD.countDown();
        try {
            IN_CALLBACK.await(); // the prePatch runs, under jlivepatch's lock, and waits for this thread next
            Supplier<String> s = (Supplier<String>) Class.forName(LATE).getDeclaredConstructor().newInstance();
            instance = s;
            first = s.get();
            second = s.get();
            detailWhileHeld = detail(late);
        } catch (InterruptedException | ReflectiveOperationException e) {
            first = e.toString();
        }
    }

    /** The status detail of Late.get in its (the application's) class loader. */
    private static String detail(PatchHandle h) {
        for (FunctionStatus f : h.functions()) {
            for (FunctionStatus.LoaderStatus l : f.loaders()) {
                return l.state() + " " + l.detail();
            }
        }
        return "no loader";
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
