package io.jlivepatch;

import faultapp.HotSwapPlain;
import faultapp.HotSwapped;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.instrument.ClassDefinition;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.time.Duration;

import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A patched class redefined from outside (a debugger's hot swap, {@code Instrumentation.redefineClasses}):
 * what runs, and what status says. The hook survives (jlivepatch's transformer sees the redefinition's
 * bytes and hooks them), the patch runs and status says PATCHED. The next retransformation of the class
 * (the patch's disable, any change of its hooks, another agent's) starts on JDK 17 from the class file
 * the class was loaded from, not from the hot swap's, and on JDK 25 from the hot swap's: that is the
 * JDK's, shown without jlivepatch by {@link #whatTheJdkRetransformsAfterAHotSwap}, and jlivepatch adds
 * nothing to it; README Known limits says so.
 */
class HotSwapTest {

    public static String patched(HotSwapped self) {
        return "patched";
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    /** Whether this JDK retransforms a hot-swapped class from the hot swap's bytes ({@link #whatTheJdkRetransformsAfterAHotSwap}). */
    private static Boolean jdkKeepsHotSwap;

    @Test
    void aHotSwapOfAPatchedClassKeepsItsHookAndTheDisableKeepsWhatTheJdkKeeps() throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("hot-swap").replace(
                method(HotSwapped.class, "value"), method(HotSwapTest.class, "patched", HotSwapped.class)).build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        HotSwapped t = new HotSwapped();
        assertEquals("patched", t.value());

        byte[] v1 = TestSupport.classFile(HotSwapped.class.getName());
        TestSupport.instrumentation().redefineClasses(new ClassDefinition(HotSwapped.class,
                NextTestAccess.replace(NextTestAccess.replace(v1, "v1", "v2"), "o1", "o2")));
        assertEquals("patched", t.value(), "the hook survives the hot swap");
        assertEquals("o2", t.other(), "the hot swap took effect");
        assertEquals(FunctionStatus.State.PATCHED, h.functions().get(0).state(), h.functions().toString());
        assertEquals(java.util.List.of("value()Ljava/lang/String;"), BytecodeProbe.hookedMethods(HotSwapped.class));

        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(FunctionStatus.State.NOT_PATCHED, h.functions().get(0).state(), h.functions().toString());
        // The JDK's (see the class comment): the hook's removal retransforms the class from the bytes it keeps.
        String kept = jdkKeepsHotSwap() ? "2" : "1";
        assertEquals("v" + kept, t.value());
        assertEquals("o" + kept, t.other());
    }

    @Test
    void whatTheJdkRetransformsAfterAHotSwap() throws Exception {
        jdkKeepsHotSwap();
    }

    /** The JDK's behaviour, found once without jlivepatch: a plain retransforming transformer, a hot swap, a retransformation. */
    private static synchronized boolean jdkKeepsHotSwap() throws Exception {
        if (jdkKeepsHotSwap != null) {
            return jdkKeepsHotSwap;
        }
        Instrumentation inst = TestSupport.instrumentation();
        String name = HotSwapPlain.class.getName().replace('.', '/');
        ClassFileTransformer marker = new ClassFileTransformer() {
            @Override
            public byte[] transform(ClassLoader l, String n, Class<?> c, ProtectionDomain d, byte[] b) {
                return name.equals(n) ? NextTestAccess.replace(b, "m1", "M") : null;
            }
        };
        HotSwapPlain t = new HotSwapPlain();
        inst.addTransformer(marker, true);
        try {
            inst.retransformClasses(HotSwapPlain.class);
            assertEquals("a1M", t.value() + t.mark());
            byte[] v1 = TestSupport.classFile(HotSwapPlain.class.getName());
            inst.redefineClasses(new ClassDefinition(HotSwapPlain.class, NextTestAccess.replace(v1, "a1", "a2")));
            assertEquals("a2M", t.value() + t.mark());
        } finally {
            inst.removeTransformer(marker);
        }
        inst.retransformClasses(HotSwapPlain.class);
        String after = t.value() + t.mark();
        // JDK 17 goes back to the loaded bytes, JDK 25 keeps the hot swap's; either way not jlivepatch's doing
        assertTrue(after.equals("a1m1") || after.equals("a2m1"), "JDK " + Runtime.version() + ": " + after);
        jdkKeepsHotSwap = after.equals("a2m1");
        return jdkKeepsHotSwap;
    }
}
