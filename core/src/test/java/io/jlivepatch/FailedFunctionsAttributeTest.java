package io.jlivepatch;

import cbapp.Held;
import cbapp.Hold;
import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.internal.control.FailedFunctions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import transapp.Codec;
import transapp.Gate;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static io.jlivepatch.TestSupport.statusIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The patch MBean's FailedFunctions, which a monitoring system alerts on: the lines of Functions for
 * which {@code jlivepatch load}/{@code enable} exit 5, counted in the target.
 */
class FailedFunctionsAttributeTest {

    private static final String ISOLATED = "testapp.loaders.Isolated";
    private static final String COUNTED = "testapp.failed.CountedMisfit";
    private static final String IN_TRANSITION = "testapp.failed.TransitionMisfit";
    private static final String IN_LOCALE = "testapp.failed.LocaleMisfit";
    private static final String IN_CLOSING = "testapp.failed.ClosingMisfit";
    private static final String IN_ODD_LOADER = "testapp.failed.OddLoaderMisfit";
    /** A bound on what must happen (a held thread's end, a transition's), not a timing. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    private Thread held;
    private final ClosingCallbacksTest.Blocking callbacks = new ClosingCallbacksTest.Blocking();

    /** Receiver typed as Object: each loader's copy is a different class. */
    public static String get(Object receiver) {
        return "patched";
    }

    /** Written for an instance method (a receiver first): the targets' value() is static, so it does not fit. */
    public static int value(Object receiver) {
        return 42;
    }

    public static String encode(String s) {
        return "new-enc(" + s + ")";
    }

    public static String work() {
        Hold.pass();
        return "new";
    }

    @AfterEach
    void cleanUp() throws Exception {
        callbacks.open();
        if (held != null) {
            Gate.release(held);
            Hold.release(held);
            held.join(WAIT.toMillis());
        }
        for (PatchHandle h : livepatch().patches()) {
            h.awaitTransition(WAIT);
        }
        TestSupport.removeAllPatches();
    }

    private static int failedFunctions(String patch) throws Exception {
        Mbeans.livepatch(); // the MBeans are up
        return (Integer) ManagementFactory.getPlatformMBeanServer().getAttribute(ObjectNames.patch(patch),
                "FailedFunctions");
    }

    private static String[] functionLines(String patch) throws Exception {
        return (String[]) ManagementFactory.getPlatformMBeanServer().getAttribute(ObjectNames.patch(patch),
                "Functions");
    }

    /** What the CLI counts for exit 5 in the same lines, read over JMX as it reads them. */
    private static int failingLines(String patch) throws Exception {
        String[] lines = functionLines(patch);
        return FailedFunctions.failed(lines).size() + FailedFunctions.notPatched(lines).size();
    }

    @SuppressWarnings("unchecked")
    private static Supplier<String> newInstance(Class<?> c) throws ReflectiveOperationException {
        return (Supplier<String>) c.getDeclaredConstructor().newInstance();
    }

    private static Patch misfitPatch(String name) {
        return misfitPatch(name, COUNTED);
    }

    private static Patch misfitPatch(String name, String target) {
        return Patch.builder(name)
                .replace(target, "value", "()I", method(FailedFunctionsAttributeTest.class, "value", Object.class))
                .build();
    }

    @Test
    void aHealthyEnabledPatchHasNone() throws Exception {
        Mbeans.livepatch();
        IsolatingLoader one = IsolatingLoader.of("ff-healthy-one", ISOLATED);
        IsolatingLoader two = IsolatingLoader.of("ff-healthy-two", ISOLATED);
        Supplier<String> s1 = newInstance(one.define(ISOLATED));
        Supplier<String> s2 = newInstance(two.define(ISOLATED));
        PatchHandle h = livepatch().register(Patch.builder("ff-healthy").replace(ISOLATED, "get",
                "()Ljava/lang/String;", method(FailedFunctionsAttributeTest.class, "get", Object.class)).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals("patched", s1.get());
        assertEquals("patched", s2.get());
        assertEquals(FunctionStatus.State.PATCHED, statusIn(h.functions().get(0), one).state());
        assertEquals(FunctionStatus.State.PATCHED, statusIn(h.functions().get(0), two).state());

        assertEquals(0, failedFunctions("ff-healthy"), List.of(functionLines("ff-healthy")).toString());
    }

    @Test
    void aFunctionThatFailedInAClassLoaderIsCountedWhileThePatchIsEnabled() throws Exception {
        Mbeans.livepatch();
        PatchHandle h = livepatch().register(misfitPatch("ff-misfit"));
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(0, failedFunctions("ff-misfit"), "pending: no loader has defined the class yet");
        IsolatingLoader loader = IsolatingLoader.of("ff-misfit", COUNTED);
        Class<?> c = loader.define(COUNTED);
        assertEquals(1, ((IntSupplier) c.getDeclaredConstructor().newInstance()).getAsInt(), "runs its own code");
        assertEquals(FunctionStatus.State.FAILED, statusIn(h.functions().get(0), loader).state());

        assertEquals(1, failedFunctions("ff-misfit"), List.of(functionLines("ff-misfit")).toString());
        assertEquals(1, failingLines("ff-misfit"), "the lines for which the CLI exits 5");

        // Disabled, every function of the patch runs its own code, as asked: nothing failing to alert on.
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(0, failedFunctions("ff-misfit"), List.of(functionLines("ff-misfit")).toString());
        assertEquals(List.of("testapp.failed.CountedMisfit.value()I [" + TestSupport.loaderName(loader)
                + "]: not patched"),
                List.of(functionLines("ff-misfit")));
    }

    @Test
    void noneIsCountedWhileTheEnablesTransitionRuns() throws Exception {
        Mbeans.livepatch();
        held = new Thread(() -> Codec.encode("x"), "ff-held-in-encode");
        Gate.arm(held);
        held.start();
        Gate.awaitEntered(held);
        PatchHandle h = livepatch().register(Patch.builder("ff-transition")
                .replace(Codec.class.getMethod("encode", String.class),
                        FailedFunctionsAttributeTest.class.getMethod("encode", String.class))
                .replace(IN_TRANSITION, "value", "()I",
                        method(FailedFunctionsAttributeTest.class, "value", Object.class))
                .build());
        h.enable();
        assertTrue(h.inTransition(), "a thread is inside the old encode");
        IsolatingLoader loader = IsolatingLoader.of("ff-transition", IN_TRANSITION);
        loader.define(IN_TRANSITION);
        assertEquals(FunctionStatus.State.FAILED, statusIn(h.functions().get(1), loader).state());

        assertEquals(0, failedFunctions("ff-transition"), "the transition has not ended");

        Gate.release(held);
        held.join(WAIT.toMillis());
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(1, failedFunctions("ff-transition"), List.of(functionLines("ff-transition")).toString());
    }

    /**
     * The line's state is written the same whatever the target's default locale: lower-cased with it, a
     * Turkish one wrote FAILED as "fa\u0131led" (a dotless i), which the command's "failed" did not match:
     * load and enable exited 0 on a FAILED function there.
     */
    @Test
    void aFailedLineSaysFailedWhateverTheTargetsDefaultLocale() throws Exception {
        Mbeans.livepatch();
        Locale before = Locale.getDefault();
        Locale display = Locale.getDefault(Locale.Category.DISPLAY);
        Locale format = Locale.getDefault(Locale.Category.FORMAT);
        try {
            Locale.setDefault(Locale.forLanguageTag("tr-TR"));
            // Registered, its MBean with it, under the Turkish locale: the MBean's Waiting keeps its 'inside' item for
            // the tests after this one (WaitingItems; WaitingInsidePatchCodeTest reads it).
            PatchHandle h = livepatch().register(misfitPatch("ff-locale", IN_LOCALE));
            h.enable();
            assertTrue(h.awaitTransition(WAIT));
            IsolatingLoader loader = IsolatingLoader.of("ff-locale", IN_LOCALE);
            loader.define(IN_LOCALE);
            assertEquals(FunctionStatus.State.FAILED, statusIn(h.functions().get(0), loader).state());

            String[] lines = functionLines("ff-locale");
            assertEquals(1, lines.length, List.of(lines).toString());
            assertTrue(lines[0].startsWith(IN_LOCALE + ".value()I [" + TestSupport.loaderName(loader) + "]: failed ("),
                    lines[0]);
            assertEquals(1, failingLines("ff-locale"), "the lines for which the CLI exits 5: " + lines[0]);
            assertEquals(1, failedFunctions("ff-locale"));
        } finally {
            Locale.setDefault(before);
            Locale.setDefault(Locale.Category.DISPLAY, display);
            Locale.setDefault(Locale.Category.FORMAT, format);
        }
    }

    /**
     * While the enable's postPatch runs, the transition has not ended (Transition reads 1, and the command
     * waits for it before it reads the lines): none is counted yet, as in the transition's other part.
     */
    @Test
    void noneIsCountedWhileThePatchsPostPatchRuns() throws Exception {
        Mbeans.livepatch();
        PatchHandle h = livepatch().register(Patch.builder("ff-closing")
                .replace(method(Held.class, "work"), method(FailedFunctionsAttributeTest.class, "work"))
                .replace(IN_CLOSING, "value", "()I", method(FailedFunctionsAttributeTest.class, "value", Object.class))
                .callbacks("cbapp.Held", callbacks).build());
        callbacks.arm("postPatch");
        // A thread in the old work() holds the transition, so that it ends, and postPatch runs, on the worker.
        held = new Thread(Held::work, "ff-held-in-work");
        Hold.arm(held);
        held.start();
        Hold.awaitEntered(held);
        h.enable();
        IsolatingLoader loader = IsolatingLoader.of("ff-closing", IN_CLOSING);
        loader.define(IN_CLOSING);
        Hold.release(held);
        assertTrue(callbacks.entered.await(WAIT.toSeconds(), TimeUnit.SECONDS), "the transition's end ran postPatch");
        assertEquals(FunctionStatus.State.FAILED, statusIn(h.functions().get(1), loader).state());
        assertEquals(Boolean.TRUE, ManagementFactory.getPlatformMBeanServer().getAttribute(
                ObjectNames.patch("ff-closing"), "Transition"), "in transition until postPatch has returned");

        // postPatch runs under jlivepatch's lock: the read does not wait for it (a scrape never hangs behind it).
        assertEquals(0, assertTimeoutPreemptively(WAIT, () -> failedFunctions("ff-closing")),
                "the transition has not ended: postPatch runs");

        callbacks.open();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(1, failedFunctions("ff-closing"), List.of(functionLines("ff-closing")).toString());
        assertEquals(1, failingLines("ff-closing"), "the lines for which the CLI exits 5");
    }

    /**
     * A class loader's name is the application's, and may hold the "]: " that ends it in a line: the
     * command's count of the lines is still the attribute's.
     */
    @Test
    void aFailedLineOfALoaderWhoseNameHoldsTheSeparatorCountsForTheCommandToo() throws Exception {
        Mbeans.livepatch();
        PatchHandle h = livepatch().register(misfitPatch("ff-odd-loader", IN_ODD_LOADER));
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        IsolatingLoader loader = IsolatingLoader.of("plugin]: core", IN_ODD_LOADER);
        loader.define(IN_ODD_LOADER);
        assertEquals(FunctionStatus.State.FAILED, statusIn(h.functions().get(0), loader).state());

        assertEquals(1, failedFunctions("ff-odd-loader"), List.of(functionLines("ff-odd-loader")).toString());
        assertEquals(1, failingLines("ff-odd-loader"), "the lines for which the CLI exits 5: "
                + List.of(functionLines("ff-odd-loader")));
    }
}
