package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.batch.Alpha;
import testapp.batch.Beta;
import testapp.batch.Gamma;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Enabling or disabling a patch of many methods in several classes retransforms each class once. */
class RetransformBatchingTest {

    private static final List<Class<?>> CLASSES = List.of(Alpha.class, Beta.class, Gamma.class);

    public static int one(Object receiver) {
        return 10;
    }

    public static int two(Object receiver) {
        return 20;
    }

    public static int three() {
        return 30;
    }

    public static int oneAgain(Object receiver) {
        return 100;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    private static Patch nineMethods(String name) {
        Patch.Builder b = Patch.builder(name);
        for (Class<?> c : CLASSES) {
            b.replace(method(c, "one"), method(RetransformBatchingTest.class, "one", Object.class));
            b.replace(method(c, "two"), method(RetransformBatchingTest.class, "two", Object.class));
            b.replace(method(c, "three"), method(RetransformBatchingTest.class, "three"));
        }
        return b.build();
    }

    private static Map<Class<?>, Integer> once() {
        return Map.of(Alpha.class, 1, Beta.class, 1, Gamma.class, 1);
    }

    @Test
    void enablingAndDisablingAPatchOfManyMethodsInSeveralClassesRetransformsEachClassOnce() throws Exception {
        Alpha a = new Alpha();
        new Beta();
        new Gamma();
        PatchHandle h = livepatch().register(nineMethods("batch-nine"));
        assertEquals(once(), BytecodeProbe.countRetransforms(CLASSES, h::enable));
        assertEquals(10, a.one());
        assertEquals(20, new Beta().two());
        assertEquals(30, Gamma.three());
        for (Class<?> c : CLASSES) {
            assertEquals(3, BytecodeProbe.hookedMethods(c).size(), c.getName());
        }
        assertEquals(once(), BytecodeProbe.countRetransforms(CLASSES, h::disable));
        assertEquals(1, a.one());
        assertEquals(3, Gamma.three());
    }

    @Test
    void stackingAPatchOnMethodsThatAreAlreadyHookedRetransformsEachClassAtMostOnce() throws Exception {
        new Alpha();
        PatchHandle lower = livepatch().register(nineMethods("batch-lower"));
        Patch.Builder b = Patch.builder("batch-upper");
        for (Class<?> c : CLASSES) {
            b.replace(method(c, "one"), method(RetransformBatchingTest.class, "oneAgain", Object.class));
        }
        PatchHandle upper = livepatch().register(b.build());
        lower.enable();
        Map<Class<?>, Integer> counts = BytecodeProbe.countRetransforms(CLASSES, upper::enable);
        counts.forEach((c, n) -> assertTrue(n <= 1, c.getName() + " retransformed " + n + " times"));
        assertEquals(100, new Alpha().one());
        assertEquals(20, new Alpha().two());
        counts = BytecodeProbe.countRetransforms(CLASSES, upper::disable);
        counts.forEach((c, n) -> assertTrue(n <= 1, c.getName() + " retransformed " + n + " times"));
        assertEquals(10, new Alpha().one());
    }

    @Test
    void aPatchRefusedAtRegisterRetransformsNothing() throws Exception {
        new Alpha();
        Method bad = method(RetransformBatchingTest.class, "three"); // static replacement for an instance method
        Map<Class<?>, Integer> counts = BytecodeProbe.countRetransforms(CLASSES, () -> TestSupport.refusedRegistration(
                Patch.builder("batch-refused").replace(method(Beta.class, "two"),
                        method(RetransformBatchingTest.class, "two", Object.class))
                        .replace(method(Alpha.class, "one"), bad).build()));
        assertEquals(Map.of(Alpha.class, 0, Beta.class, 0, Gamma.class, 0), counts);
    }
}
