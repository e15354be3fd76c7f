package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.Sha256;
import io.jlivepatch.internal.core.PatchRegistry;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A patch JAR prepared ahead of its registration (the agent's start-up prepares the next JAR while
 * one registers): preparing changes and reports nothing; the registration is what {@code load}
 * would do with the bytes that were checked; a failed preparation is refused, and reported once, in
 * its turn, as {@code load} refuses it.
 */
class PreparedAheadTest {

    private static final String FIX = "jarapp.fix.CounterFix";

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    private static PatchRegistry registry() {
        Jars.lp();
        return PatchRegistry.installed();
    }

    /** The audit log, read from the registry (the MBeans may not be up in this JVM yet). */
    private static List<String> audit() {
        return registry().audit().entries().stream().map(Object::toString).toList();
    }

    private static List<String> names() {
        return Jars.lp().patches().stream().map(PatchHandle::name).toList();
    }

    @Test
    void preparingChangesNothingAndTheCheckedBytesAreTheOnesRegistered() throws Exception {
        Path jar = Jars.write(dir.resolve("fix.jar"), Jars.manifest("fix-ahead", FIX), Jars.classes(FIX));
        byte[] checked = Files.readAllBytes(jar);
        int audited = audit().size();

        PatchRegistry.Ahead ahead = registry().prepareAhead(jar);
        assertEquals(List.of(), names(), "nothing registered by preparing");
        assertEquals(audited, audit().size(), "nothing audited by preparing");
        // Replaced after the check: the registration takes what was checked, not the file now.
        Files.write(jar, new byte[] {'n', 'o', 't', ' ', 'a', ' ', 'j', 'a', 'r'});

        PatchHandle h = registry().load(ahead);
        assertEquals(List.of("fix-ahead"), names());
        assertEquals(Sha256.hex(checked), registry().provenance(h).sha256());
        List<String> log = audit();
        assertEquals(audited + 1, log.size());
        assertTrue(log.get(log.size() - 1).contains(" load ") && log.get(log.size() - 1).contains("ok (registered)"),
                log.get(log.size() - 1));
        h.enable();
        assertEquals(-1, new Counter().next(), "the prepared patch runs");
    }

    @Test
    void aJarThatFailsAheadIsRefusedInItsTurnOnceAsLoadRefusesIt() throws Exception {
        Path jar = Jars.write(dir.resolve("bad.jar"), Jars.manifest("bad name!", FIX), Jars.classes(FIX));
        int audited = audit().size();

        PatchRegistry.Ahead ahead = registry().prepareAhead(jar);
        assertEquals(audited, audit().size(), "a failed preparation reports nothing by itself");

        PatchException inTurn = assertThrows(PatchException.class, () -> registry().load(ahead));
        assertEquals(PatchException.Reason.INVALID_PATCH, inTurn.reason(), inTurn.getMessage());
        List<String> log = audit();
        assertEquals(audited + 1, log.size(), "reported once, in its turn");
        assertTrue(log.get(log.size() - 1).contains("refused INVALID_PATCH"), log.get(log.size() - 1));
        assertEquals(List.of(), names(), "nothing registered");

        PatchException direct = assertThrows(PatchException.class, () -> Jars.lp().load(jar));
        assertEquals(direct.getMessage(), inTurn.getMessage(), "the same refusal as load's");
    }

    @Test
    void aJarGoneBeforeItsPreparationIsRefusedAsLoadRefusesAMissingFile() throws Exception {
        Path jar = dir.resolve("gone.jar");
        PatchRegistry.Ahead ahead = registry().prepareAhead(jar);
        PatchException inTurn = assertThrows(PatchException.class, () -> registry().load(ahead));
        PatchException direct = assertThrows(PatchException.class, () -> Jars.lp().load(jar));
        assertEquals(direct.reason(), inTurn.reason());
        assertEquals(direct.getMessage(), inTurn.getMessage());
        assertTrue(inTurn.getMessage().contains(jar.toString()), inTurn.getMessage());
    }
}
