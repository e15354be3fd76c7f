package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.copies.Owner;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One copy of jlivepatch per JVM: a second copy (another class loader's, an application that embeds
 * its own) is refused at its install, also while the first copy has not made any change yet (its
 * hooks are installed by its first operation), and the first copy keeps working.
 */
class SecondCopyTest {

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    public static String who() {
        return "patched";
    }

    @Test
    void aSecondCopyIsRefusedAtItsInstallAndTheFirstKeepsTheJvm() throws Exception {
        Livepatch first = livepatch();
        Instrumentation inst = TestSupport.instrumentation();
        // jlivepatch's own classes and ASM, in a loader of their own that does not delegate to ours.
        URL core = Livepatch.class.getProtectionDomain().getCodeSource().getLocation();
        URL asm = org.objectweb.asm.ClassReader.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader other = new URLClassLoader("second-copy", new URL[] {core, asm},
                ClassLoader.getPlatformClassLoader())) {
            Class<?> otherLivepatch = Class.forName(Livepatch.class.getName(), true, other);
            assertTrue(otherLivepatch != Livepatch.class, "the second copy is jlivepatch's own classes");
            InvocationTargetException refused = assertThrows(InvocationTargetException.class,
                    () -> otherLivepatch.getMethod("install", Instrumentation.class).invoke(null, inst));
            IllegalStateException why = assertInstanceOf(IllegalStateException.class, refused.getCause());
            assertTrue(why.getMessage().contains("another copy of jlivepatch"), why.getMessage());
        }
        PatchHandle h = first.register(Patch.builder("second-copy-first-keeps")
                .replace(method(Owner.class, "who"), method(SecondCopyTest.class, "who")).build());
        h.enable();
        assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(30)));
        assertEquals("patched", Owner.who());
        h.disable();
        assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(30)));
        assertEquals("original", Owner.who());
    }
}
