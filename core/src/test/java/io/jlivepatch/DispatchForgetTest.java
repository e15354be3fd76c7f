package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Map;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * Dispatch keeps a map of call sites per hooked class, a {@link ClassValue}'s value, which lives as
 * long as the class. Once the last hooked method of a class is forgotten the entry must go: an
 * emptied map per class ever hooked is memory that no unhooking gives back (issue 14).
 *
 * <p>"Gone" is observed through the entry's identity: {@code ClassValue.get} returns the same map
 * for as long as the entry is there and computes a new one once it has been removed. Dispatch lives
 * in the boot loader's unnamed module, which is open, so its registry can be read reflectively.
 */
class DispatchForgetTest {

    private static final String TARGET = "testapp.memory.Residue";

    public static int value(int a) {
        return -a;
    }

    public static int valueAgain(int a) {
        return 100 * a;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    private static Class<?> dispatch() throws ClassNotFoundException {
        livepatch();
        return Class.forName("io.jlivepatch.internal.bootstrap.Dispatch", false, null);
    }

    @SuppressWarnings("unchecked")
    private static ClassValue<Map<String, ?>> sites() throws ReflectiveOperationException {
        Field f = dispatch().getDeclaredField("SITES");
        f.setAccessible(true);
        return (ClassValue<Map<String, ?>>) f.get(null);
    }

    private static int linkedMethods(Class<?> c) throws ReflectiveOperationException {
        return (int) dispatch().getMethod("linkedMethods", Class.class).invoke(null, c);
    }

    private static PatchHandle register(String name, String replacement) throws PatchException {
        return livepatch().register(Patch.builder(name)
                .replace(TARGET, "value", "(I)I", method(DispatchForgetTest.class, replacement, int.class)).build());
    }

    private static int call(Method m, int a) throws ReflectiveOperationException {
        return (int) m.invoke(null, a);
    }

    @Test
    void theLastForgottenMethodTakesItsClasssEntryWithIt() throws Exception {
        Class<?> c = IsolatingLoader.of("dispatch-forget", TARGET).define(TARGET);
        Method value = c.getMethod("value", int.class);
        PatchHandle h = register("dispatch-forget", "value");
        h.enable();
        assertEquals(-3, call(value, 3), "the patch takes (and links the method's sites)");
        assertEquals(1, linkedMethods(c));
        Map<String, ?> whileHooked = sites().get(c);
        assertEquals(1, whileHooked.size());

        h.disable();
        assertEquals(4, call(value, 3));
        assertEquals(0, whileHooked.size(), "the method's sites are forgotten");
        assertNotSame(whileHooked, sites().get(c), "the class's emptied map stayed in Dispatch's registry");
    }

    @Test
    void askingAboutAClassNeverHookedLeavesNoEntry() throws Exception {
        Class<?> c = IsolatingLoader.of("dispatch-never-hooked", TARGET).define(TARGET);
        Map<String, ?> computed = sites().get(c);
        assertSame(computed, sites().get(c), "ClassValue keeps its value while the entry is there");
        assertEquals(0, linkedMethods(c));
        assertNotSame(computed, sites().get(c), "linkedMethods left an empty map behind");
        assertEquals(0, linkedMethods(c));
    }

    @Test
    void aClassWhoseEntryWentIsRelinkedWhenHookedAgain() throws Exception {
        Class<?> c = IsolatingLoader.of("dispatch-hooked-again", TARGET).define(TARGET);
        Method value = c.getMethod("value", int.class);
        PatchHandle h = register("dispatch-again", "value");
        h.enable();
        assertEquals(-3, call(value, 3));
        h.disable();
        assertEquals(4, call(value, 3));

        h.enable();
        assertEquals(-3, call(value, 3), "hooked again after its entry was dropped");
        // A second patch on the same method changes only the replacement: the class keeps its hook
        // and only a relink of its (new) sites can bring the new target, so the class must be
        // known to the relink again.
        PatchHandle upper = register("dispatch-again-upper", "valueAgain");
        upper.enable();
        assertEquals(300, call(value, 3));
        upper.disable();
        assertEquals(-3, call(value, 3));
        h.disable();
        assertEquals(4, call(value, 3));
        assertEquals(0, linkedMethods(c));
    }
}
