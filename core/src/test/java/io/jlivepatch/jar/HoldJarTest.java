package io.jlivepatch.jar;

import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import jarapp.Counter;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code Livepatch-Hold} in a patch JAR's manifest. */
class HoldJarTest {

    @TempDir
    Path dir;

    private static Livepatch lp() {
        return Livepatch.install(ByteBuddyAgent.install());
    }

    @AfterEach
    void removeAll() throws PatchException {
        for (PatchHandle h : lp().patches()) {
            h.unregister();
        }
    }

    @Test
    void theHoldsOfTheManifestAreThePatchsHolds() throws Exception {
        PatchHandle h = lp().load(jar("held", "jarapp.Later.run()V  jarapp.Later.stop(I)Z"));
        assertEquals(List.of(new Patch.Hold("jarapp.Later", "run", "()V"), new Patch.Hold("jarapp.Later", "stop", "(I)Z")),
                h.patch().holds());
    }

    @Test
    void aMalformedHoldIsAnInvalidPatch() throws Exception {
        assertRefused(PatchException.Reason.INVALID_PATCH, "Livepatch-Hold: 'jarapp.Counter' does not name a method",
                jar("bad-hold", "jarapp.Counter"));
        assertRefused(PatchException.Reason.INVALID_PATCH, "is not a JVM method descriptor",
                jar("bad-desc", "jarapp.Counter.next(int)"));
        assertRefused(PatchException.Reason.INVALID_PATCH, "Livepatch-Hold names jarapp.Counter.next()I, which the patch"
                + " replaces or holds already", jar("held-replaced", "jarapp.Counter.next()I"));
    }

    @Test
    void aHoldTheLoadedClassDoesNotDeclareIsTargetNotFound() throws Exception {
        new Counter();
        assertRefused(PatchException.Reason.TARGET_NOT_FOUND, "held method jarapp.Counter.reset()V: jarapp.Counter",
                jar("held-missing", "jarapp.Counter.reset()V"));
    }

    private void assertRefused(PatchException.Reason reason, String text, Path jar) {
        PatchException e = assertThrows(PatchException.class, () -> lp().load(jar));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(text), e.getMessage());
        assertTrue(lp().patches().isEmpty());
    }

    private Path jar(String name, String holds) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", name);
        m.getMainAttributes().putValue("Livepatch-Class", "jarapp.fix.CounterFix");
        m.getMainAttributes().putValue("Livepatch-Hold", holds);
        Path jar = dir.resolve(name + ".jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, m);
             InputStream in = HoldJarTest.class.getResourceAsStream("/jarapp/fix/CounterFix.class")) {
            jos.putNextEntry(new JarEntry("jarapp/fix/CounterFix.class"));
            jos.write(in.readAllBytes());
            jos.closeEntry();
        }
        return jar;
    }
}
