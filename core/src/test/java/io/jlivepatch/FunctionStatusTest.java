package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.status.Tracked;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.function.Supplier;

import static io.jlivepatch.FunctionStatus.State.NOT_PATCHED;
import static io.jlivepatch.FunctionStatus.State.PATCHED;
import static io.jlivepatch.FunctionStatus.State.PENDING;
import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static io.jlivepatch.TestSupport.statusIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** functions(): per replaced method, its state in each class loader that defines the class. */
class FunctionStatusTest {

    private static final String NEVER_LOADED = "testapp.status.NeverLoaded";
    private static final String MADE_UP = "testapp.status.NoSuchClassAnywhere";

    public static int value() {
        return 2;
    }

    public static String get(Object receiver) {
        return "patched";
    }

    public static int count() {
        return 5;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    private static long loadedCopies(String className) {
        return Arrays.stream(TestSupport.instrumentation().getAllLoadedClasses())
                .filter(c -> c.getName().equals(className)).count();
    }

    @Test
    void aFunctionOfAClassNoLoaderHasDefinedIsPending() throws Exception {
        assertEquals(0, loadedCopies(NEVER_LOADED), NEVER_LOADED + " must stay unloaded for this test");
        PatchHandle h = livepatch().register(Patch.builder("status-pending")
                .replace(NEVER_LOADED, "value", "()I", method(FunctionStatusTest.class, "value"))
                .replace(MADE_UP, "anything", "()I", method(FunctionStatusTest.class, "value"))
                .build());
        for (int round = 0; round < 2; round++) {
            List<FunctionStatus> fs = h.functions();
            assertEquals(2, fs.size());
            assertEquals(new FunctionStatus(NEVER_LOADED, "value", "()I", List.of()), fs.get(0));
            assertEquals(NEVER_LOADED + ".value()I", fs.get(0).target());
            assertEquals(PENDING, fs.get(0).state());
            assertEquals(MADE_UP, fs.get(1).className());
            assertEquals(PENDING, fs.get(1).state());
            if (round == 0) {
                h.enable(); // still pending once enabled: nothing to hook yet
            }
        }
        assertEquals(0, loadedCopies(NEVER_LOADED));
    }

    @Test
    void aFunctionIsNotPatchedWhileItsPatchIsDisabledAndPatchedWhileEnabled() throws Exception {
        Supplier<String> t = new Tracked();
        PatchHandle h = livepatch().register(Patch.builder("status-states")
                .replace(method(Tracked.class, "get"), method(FunctionStatusTest.class, "get", Object.class))
                .replace(method(Tracked.class, "count"), method(FunctionStatusTest.class, "count"))
                .build());
        ClassLoader app = Tracked.class.getClassLoader();
        for (FunctionStatus f : h.functions()) {
            assertEquals(NOT_PATCHED, f.state());
            assertEquals(new FunctionStatus.LoaderStatus(TestSupport.loaderName(app), NOT_PATCHED, ""),
                    statusIn(f, app));
        }
        h.enable();
        assertEquals("patched", t.get());
        List<FunctionStatus> fs = h.functions();
        assertEquals(List.of("get", "count"), fs.stream().map(FunctionStatus::methodName).toList());
        assertEquals("()Ljava/lang/String;", fs.get(0).descriptor());
        for (FunctionStatus f : fs) {
            assertEquals(PATCHED, f.state());
            assertEquals(PATCHED, statusIn(f, app).state());
            assertEquals("", statusIn(f, app).detail());
        }
        h.disable();
        for (FunctionStatus f : h.functions()) {
            assertEquals(NOT_PATCHED, f.state());
        }
    }

    @Test
    void thereIsOneLoaderStatusPerClassLoaderThatDefinesTheClass() throws Exception {
        new Tracked();
        IsolatingLoader one = IsolatingLoader.of("status-one", Tracked.class.getName());
        IsolatingLoader two = IsolatingLoader.of("status-two", Tracked.class.getName());
        one.define(Tracked.class.getName());
        two.define(Tracked.class.getName());
        PatchHandle h = livepatch().register(Patch.builder("status-loaders")
                .replace(method(Tracked.class, "get"), method(FunctionStatusTest.class, "get", Object.class))
                .build());
        h.enable();
        FunctionStatus f = h.functions().get(0);
        assertEquals(loadedCopies(Tracked.class.getName()), f.loaders().size());
        assertEquals(f.loaders().size(), new HashSet<>(f.loaders().stream()
                .map(FunctionStatus.LoaderStatus::classLoader).toList()).size(), "one entry per loader: " + f);
        for (ClassLoader l : List.of(Tracked.class.getClassLoader(), one, two)) {
            assertEquals(PATCHED, statusIn(f, l).state());
        }
        h.disable();
        for (ClassLoader l : List.of(Tracked.class.getClassLoader(), one, two)) {
            assertEquals(NOT_PATCHED, statusIn(h.functions().get(0), l).state());
        }
        assertFalse(h.functions().get(0).loaders().isEmpty());
    }
}
