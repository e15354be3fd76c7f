package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.PatchHandle;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A second load under a registered patch's name is refused (the kernel's one module per name), and the
 * refusal says which case it is: the very JAR that runs again (a retried deployment, two operators at
 * once), which needs nothing, or another JAR, which needs an unregister or a new name. Either leaves the
 * registered patch as it was.
 */
class DuplicateLoadTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void theSameJarLoadedAgainIsRefusedAsAlreadyRunningAndChangesNothing() throws Exception {
        Path jar = Jars.write(dir.resolve("fix.jar"), Jars.manifest("dup-same", Jars.FIX), Jars.classes(Jars.FIX));
        PatchHandle first = Jars.lp().load(jar);
        first.enable();
        int patched = new Counter().next();

        PatchException e = assertThrows(PatchException.class, () -> Jars.lp().load(jar));
        assertEquals(Reason.DUPLICATE_NAME, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("patch 'dup-same' is already registered from this very JAR (sha256 "
                + sha256(jar) + "), enabled: nothing was changed; it needs no second load ('jlivepatch status', or"
                + " Livepatch.find in code, shows it)"), e.getMessage());
        assertFalse(e.getMessage().contains("another name"), "no advice to rename the JAR that runs: " + e.getMessage());
        assertUnchanged(first, patched);
    }

    @Test
    void anotherJarOfARegisteredNameIsRefusedNamingTheJarThatHoldsIt() throws Exception {
        Path jar = Jars.write(dir.resolve("fix.jar"), Jars.manifest("dup-other", Jars.FIX), Jars.classes(Jars.FIX));
        PatchHandle first = Jars.lp().load(jar); // registered, not enabled
        java.util.Map<String, String> manifest = Jars.manifest("dup-other", Jars.FIX);
        manifest.put("Livepatch-Description", "a second build");
        Path other = Jars.write(dir.resolve("fix-2.jar"), manifest, Jars.classes(Jars.FIX));

        PatchException e = assertThrows(PatchException.class, () -> Jars.lp().load(other));
        assertEquals(Reason.DUPLICATE_NAME, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("patch 'dup-other' is already registered, from " + jar + " (sha256 "
                + sha256(jar) + "), registered, not enabled: unregister it first, or give the new patch another name"),
                e.getMessage());
        assertTrue(e.getMessage().contains("cumulative patch, Livepatch-Replace: true"), e.getMessage());
        assertTrue(e.getMessage().contains(other.toString()), "names the JAR refused: " + e.getMessage());
        assertUnchanged(first, 1);
    }

    private static void assertUnchanged(PatchHandle first, int expectedNext) throws Exception {
        assertEquals(List.of(first.name()), Jars.lp().patches().stream().map(PatchHandle::name).toList());
        assertSame(first, Jars.lp().find(first.name()).orElseThrow());
        assertEquals(expectedNext, new Counter().next(), "the registered patch runs as before");
        String[] log = Jars.auditLog();
        String last = log[log.length - 1];
        assertTrue(last.contains(" load dup-") && last.contains("refused DUPLICATE_NAME"), "audited: " + last);
    }

    private static String sha256(Path jar) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(jar)));
    }
}
