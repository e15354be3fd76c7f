package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.late.LateMisfit;
import testapp.late.LateMisfitCalled;
import testapp.late.LateMisfitRetransformed;

import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static io.jlivepatch.TestSupport.statusIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A target class defined by several class loaders, and target classes defined after their patch was enabled. */
class ClassLoaderTargetsTest {

    private static final String ISOLATED = "testapp.loaders.Isolated";
    private static final String LATE = "testapp.late.LateGreeter";
    private static final String LATE_STATIC = "testapp.late.LateStatic";
    private static final String LEGACY = "testapp.late.Legacy";
    private static final String MISFIT = "testapp.late.LateMisfit";
    private static final String MISFIT_AGAIN = "testapp.late.LateMisfitRetransformed";
    private static final String MISFIT_CALLED = "testapp.late.LateMisfitCalled";

    /** Receiver typed as Object: each loader's copy is a different class. */
    public static String get(Object receiver) {
        return "patched in " + receiver.getClass().getClassLoader().getName();
    }

    /** Written for an instance method: a receiver first. */
    public static int value(Object receiver) {
        return 42;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    @SuppressWarnings("unchecked")
    private static Supplier<String> newInstance(Class<?> c) throws ReflectiveOperationException {
        return (Supplier<String>) c.getDeclaredConstructor().newInstance();
    }

    private static Patch getPatch(String name, String className) {
        return Patch.builder(name).replace(className, "get", "()Ljava/lang/String;",
                method(ClassLoaderTargetsTest.class, "get", Object.class)).build();
    }

    @Test
    void everyClassLoaderThatDefinesTheTargetHasItPatched() throws Exception {
        IsolatingLoader one = IsolatingLoader.of("iso-one", ISOLATED);
        IsolatingLoader two = IsolatingLoader.of("iso-two", ISOLATED);
        Class<?> c1 = one.define(ISOLATED);
        Class<?> c2 = two.define(ISOLATED);
        assertNotSame(c1, c2);
        assertEquals(one, c1.getClassLoader());
        Supplier<String> s1 = newInstance(c1);
        Supplier<String> s2 = newInstance(c2);
        assertEquals("original", s1.get());
        assertEquals("original", s2.get());

        PatchHandle h = livepatch().register(getPatch("loaders-all", ISOLATED));
        h.enable();
        assertEquals("patched in iso-one", s1.get());
        assertEquals("patched in iso-two", s2.get());
        FunctionStatus f = h.functions().get(0);
        assertEquals(FunctionStatus.State.PATCHED, statusIn(f, one).state());
        assertEquals(FunctionStatus.State.PATCHED, statusIn(f, two).state());

        h.disable();
        assertEquals("original", s1.get());
        assertEquals("original", s2.get());
        assertEquals(List.of(), BytecodeProbe.hookedMethods(c1));
        assertEquals(List.of(), BytecodeProbe.hookedMethods(c2));
    }

    @Test
    void aClassDefinedAfterItsPatchWasEnabledIsHookedAsItIsDefined() throws Exception {
        PatchHandle h = livepatch().register(getPatch("loaders-late", LATE));
        assertEquals(FunctionStatus.State.PENDING, h.functions().get(0).state());
        h.enable();
        assertEquals(FunctionStatus.State.PENDING, h.functions().get(0).state());

        IsolatingLoader first = IsolatingLoader.of("late-one", LATE);
        IsolatingLoader second = IsolatingLoader.of("late-two", LATE);
        Supplier<String> s1 = newInstance(first.define(LATE));
        Supplier<String> s2 = newInstance(second.define(LATE));
        assertEquals("patched in late-one", s1.get());
        assertEquals("patched in late-two", s2.get());
        FunctionStatus f = h.functions().get(0);
        assertEquals(FunctionStatus.State.PATCHED, statusIn(f, first).state());
        assertEquals(FunctionStatus.State.PATCHED, statusIn(f, second).state());
        assertEquals(List.of("get()Ljava/lang/String;"), BytecodeProbe.hookedMethods(s1.getClass()));

        h.disable();
        assertEquals("late original", s1.get());
        assertEquals("late original", s2.get());
        assertEquals(FunctionStatus.State.NOT_PATCHED, statusIn(h.functions().get(0), first).state());
        assertEquals(List.of(), BytecodeProbe.hookedMethods(s1.getClass()));

        // defined while the patch is disabled: left alone; hooked once the patch is enabled again
        IsolatingLoader third = IsolatingLoader.of("late-three", LATE);
        Supplier<String> s3 = newInstance(third.define(LATE));
        assertEquals("late original", s3.get());
        assertEquals(List.of(), BytecodeProbe.hookedMethods(s3.getClass()));
        h.enable();
        assertEquals("patched in late-three", s3.get());
        assertEquals("patched in late-one", s1.get());
    }

    @Test
    void aClassDefinedLaterWhoseMethodDoesNotFitLoadsUnpatchedAndShowsAsFailed() throws Exception {
        // value() is inferred to be an instance method (a receiver first), but the class defines it static
        PatchHandle h = livepatch().register(Patch.builder("loaders-late-misfit")
                .replace(LATE_STATIC, "value", "()I", method(ClassLoaderTargetsTest.class, "value", Object.class))
                .build());
        h.enable();
        IsolatingLoader loader = IsolatingLoader.of("late-misfit", LATE_STATIC);
        Class<?> c = loader.define(LATE_STATIC);
        IntSupplier s = (IntSupplier) c.getDeclaredConstructor().newInstance();
        assertEquals(1, s.getAsInt());
        FunctionStatus.LoaderStatus st = statusIn(h.functions().get(0), loader);
        assertEquals(FunctionStatus.State.FAILED, st.state());
        assertTrue(st.detail().contains("static"), st.detail());
        assertEquals(FunctionStatus.State.FAILED, h.functions().get(0).state());
        assertEquals(List.of(), BytecodeProbe.hookedMethods(c));
    }

    /** Receiver typed as the application loader's LateMisfit: it does not fit another loader's copy. */
    public static String misfit(LateMisfit receiver) {
        return "patched misfit";
    }

    public static String misfitAgain(LateMisfitRetransformed receiver) {
        return "patched misfit";
    }

    @Test
    void aCopyInAnotherLoaderThatTheReplacementDoesNotFitShowsAsFailedAsSoonAsItIsDefined() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("loaders-link-misfit")
                .replace(method(LateMisfit.class, "get"), method(ClassLoaderTargetsTest.class, "misfit", LateMisfit.class))
                .build());
        h.enable();
        assertEquals("patched misfit", new LateMisfit().get());
        IsolatingLoader loader = IsolatingLoader.of("link-misfit", MISFIT);
        newInstance(loader.define(MISFIT));
        assertEquals(FunctionStatus.State.FAILED, statusIn(h.functions().get(0), loader).state(), h.functions().toString());
    }

    public static String misfitCalled(LateMisfitCalled receiver) {
        return "patched misfit";
    }

    @Test
    void aCopyInAnotherLoaderThatTheReplacementDoesNotFitKeepsItsCodeAndShowsAsFailedOnceCalled() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("loaders-link-misfit-called")
                .replace(method(LateMisfitCalled.class, "get"),
                        method(ClassLoaderTargetsTest.class, "misfitCalled", LateMisfitCalled.class))
                .build());
        h.enable();
        assertEquals("patched misfit", new LateMisfitCalled().get());
        IsolatingLoader loader = IsolatingLoader.of("link-misfit-called", MISFIT_CALLED);
        Supplier<String> s = newInstance(loader.define(MISFIT_CALLED));
        assertEquals("misfit original", s.get());
        FunctionStatus.LoaderStatus st = statusIn(h.functions().get(0), loader);
        assertEquals(FunctionStatus.State.FAILED, st.state());
        assertTrue(st.detail().contains("receiver"), st.detail());
        assertEquals(FunctionStatus.State.PATCHED,
                statusIn(h.functions().get(0), LateMisfitCalled.class.getClassLoader()).state());
        assertEquals("patched misfit", new LateMisfitCalled().get());
        h.disable();
        assertEquals("misfit original", s.get());
        assertEquals("misfit original", new LateMisfitCalled().get());
    }

    @Test
    void aLinkFailureStaysVisibleAfterSomeoneElseRetransformsTheClass() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("loaders-link-misfit-retransformed")
                .replace(method(LateMisfitRetransformed.class, "get"),
                        method(ClassLoaderTargetsTest.class, "misfitAgain", LateMisfitRetransformed.class))
                .build());
        h.enable();
        IsolatingLoader loader = IsolatingLoader.of("link-misfit-retransformed", MISFIT_AGAIN);
        Supplier<String> s = newInstance(loader.define(MISFIT_AGAIN));
        assertEquals("misfit original", s.get());
        assertEquals(FunctionStatus.State.FAILED, statusIn(h.functions().get(0), loader).state());
        TestSupport.instrumentation().retransformClasses(s.getClass()); // as any other agent may do
        assertEquals("misfit original", s.get());
        assertEquals(FunctionStatus.State.FAILED, statusIn(h.functions().get(0), loader).state(),
                "after another agent retransformed the class: " + h.functions());
    }

    @Test
    void aClassFileTooOldForInvokedynamicLoadsUnpatchedAndShowsAsFailed() throws Exception {
        PatchHandle h = livepatch().register(getPatch("loaders-late-legacy", LEGACY));
        h.enable();
        byte[] bytes = TestSupport.classFile(LEGACY);
        bytes[6] = 0;
        bytes[7] = 50; // Java 6
        IsolatingLoader loader = new IsolatingLoader("late-legacy", java.util.Map.of(LEGACY, bytes));
        Supplier<String> s = newInstance(loader.define(LEGACY));
        assertEquals("legacy", s.get());
        FunctionStatus.LoaderStatus st = statusIn(h.functions().get(0), loader);
        assertEquals(FunctionStatus.State.FAILED, st.state());
        assertTrue(st.detail().contains("50"), st.detail());
    }
}
