package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.jlivepatch.jar.Jars.FIX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A patch JAR is read under limits; each is refused while reading, names itself and says how to raise it. */
class JarLimitsTest {

    /** 400 MiB of zeros, deflated: about 400 KB, inflating to 400 MiB. */
    private static final int BOMB_MIB = 400;

    @TempDir
    Path dir;

    @AfterEach
    void restore() throws PatchException {
        JarLimits.setCurrent(JarLimits.DEFAULTS);
        Jars.removeAll();
    }

    @Test
    void aZipBombWhoseHeaderLiesIsRefusedWhileReadingUnderTheDefaultLimits() throws Exception {
        Path bomb = bomb("bomb.jar", "data.bin");
        assertTrue(Files.size(bomb) < 1 << 20, "the bomb is small: " + Files.size(bomb));
        String message = Jars.refused(bomb, Reason.INVALID_PATCH, "entry 'data.bin'", "more than 16777216 bytes",
                "max-entry-bytes=16777216", "-javaagent:jlivepatch-agent.jar=max-entry-bytes=<n>",
                "jlivepatch.max-entry-bytes");
        assertTrue(message.contains("reading stopped"), message);
        PatchException e = assertThrows(PatchException.class, () -> PatchJar.read(bomb));
        assertEquals(Reason.INVALID_PATCH, e.reason(), "the command's own check refuses it too");
    }

    @Test
    void aManifestThatInflatesPastTheLimitIsRefusedBeforeItIsParsed() throws Exception {
        Path bomb = bomb("manifest-bomb.jar", "META-INF/MANIFEST.MF");
        Jars.refused(bomb, Reason.INVALID_PATCH, "entry 'META-INF/MANIFEST.MF'", "max-entry-bytes");
    }

    @Test
    void aFileLargerThanTheLimitIsRefusedBeforeItIsRead() throws Exception {
        Path jar = Jars.write(dir.resolve("fix.jar"), Jars.manifest("fix", FIX), Jars.classes(FIX));
        long size = Files.size(jar);
        JarLimits.setCurrent(JarLimits.DEFAULTS.with(JarLimits.MAX_JAR_BYTES, String.valueOf(size - 1)));
        Jars.refused(jar, Reason.INVALID_PATCH, "the file has " + size + " bytes", "max-jar-bytes=" + (size - 1),
                "agent option max-jar-bytes");
        JarLimits.setCurrent(JarLimits.DEFAULTS.with(JarLimits.MAX_JAR_BYTES, String.valueOf(size)));
        assertLoads(jar, "fix");
    }

    @Test
    void tooManyEntriesAreRefused() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>(Jars.classes(FIX));
        for (int i = 0; i < 5; i++) {
            entries.put("r" + i + ".txt", new byte[] {1});
        }
        Path jar = Jars.write(dir.resolve("many.jar"), Jars.manifest("many", FIX), entries);
        // the manifest counts as an entry too: 7 in all
        JarLimits.setCurrent(JarLimits.DEFAULTS.with(JarLimits.MAX_ENTRIES, "4"));
        Jars.refused(jar, Reason.INVALID_PATCH, "more than 4 entries", "max-entries=4");
        JarLimits.setCurrent(JarLimits.DEFAULTS.with(JarLimits.MAX_ENTRIES, "100"));
        assertLoads(jar, "many");
    }

    @Test
    void anEntryOverTheConfiguredLimitIsRefused() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>(Jars.classes(FIX));
        entries.put("big.bin", new byte[5000]);
        Path jar = Jars.write(dir.resolve("big.jar"), Jars.manifest("big", FIX), entries);
        JarLimits.setCurrent(JarLimits.DEFAULTS.with(JarLimits.MAX_ENTRY_BYTES, "4k"));
        Jars.refused(jar, Reason.INVALID_PATCH, "entry 'big.bin' inflates to more than 4096 bytes",
                "max-entry-bytes=4096");
        PatchException e = assertThrows(PatchException.class,
                () -> PatchJar.read(jar, JarLimits.DEFAULTS.with(JarLimits.MAX_ENTRY_BYTES, "1000")));
        assertTrue(e.getMessage().contains("max-entry-bytes=1000"), "limits given to read win: " + e.getMessage());
        JarLimits.setCurrent(JarLimits.DEFAULTS);
        assertLoads(jar, "big");
    }

    @Test
    void entriesOverTheTotalLimitTogetherAreRefused() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>(Jars.classes(FIX));
        entries.put("a.bin", new byte[3000]);
        entries.put("b.bin", new byte[3000]);
        Path jar = Jars.write(dir.resolve("total.jar"), Jars.manifest("total", FIX), entries);
        JarLimits.setCurrent(JarLimits.DEFAULTS.with(JarLimits.MAX_ENTRY_BYTES, "4000")
                .with(JarLimits.MAX_TOTAL_BYTES, "5000"));
        Jars.refused(jar, Reason.INVALID_PATCH, "more than 5000 bytes together", "at entry 'b.bin'",
                "max-total-bytes=5000");
    }

    @Test
    void aLongDescriptionIsRefusedAndSaysItsLength() throws Exception {
        Map<String, String> manifest = Jars.manifest("described", FIX);
        manifest.put("Livepatch-Description", "d".repeat(1001));
        Path jar = Jars.write(dir.resolve("described.jar"), manifest, Jars.classes(FIX));
        String message = Jars.refused(jar, Reason.INVALID_PATCH, "Livepatch-Description has 1001 characters",
                "max-description-chars=1000");
        assertTrue(message.length() < 1000, "the description is not quoted: " + message.length());
        JarLimits.setCurrent(JarLimits.DEFAULTS.with(JarLimits.MAX_DESCRIPTION_CHARS, "2000"));
        assertLoads(jar, "described");
    }

    @Test
    void aMillionCharacterNameIsRefusedWithoutBeingQuoted() throws Exception {
        Map<String, String> manifest = Jars.manifest("n".repeat(1_000_000), FIX);
        Path jar = Jars.write(dir.resolve("long-name.jar"), manifest, Jars.classes(FIX));
        String message = Jars.refused(jar, Reason.INVALID_PATCH, "Livepatch-Name has 1000000 characters",
                "over the limit of 64");
        assertTrue(message.length() < 1000, "the name is not quoted: " + message.length());
        String[] log = Jars.auditLog();
        assertTrue(log[log.length - 1].length() < 2000, "the audit log keeps no copy of it");
    }

    @Test
    void anyOtherLongManifestValueIsRefused() throws Exception {
        Map<String, String> manifest = Jars.manifest("valued", FIX);
        manifest.put("Implementation-Title", "t".repeat(70_000));
        Path jar = Jars.write(dir.resolve("valued.jar"), manifest, Jars.classes(FIX));
        String message = Jars.refused(jar, Reason.INVALID_PATCH, "manifest attribute 'Implementation-Title' has 70000"
                + " characters", "max-manifest-value-chars=65536");
        assertTrue(message.length() < 1000, message);
    }

    @Test
    void limitsParseCountsWithBinarySuffixesAndRefuseNonsense() {
        JarLimits l = JarLimits.DEFAULTS.with("max-entry-bytes", "32m").with("max-jar-bytes", "1G")
                .with("max-total-bytes", "512k").with("max-entries", "20000");
        assertEquals(32L << 20, l.maxEntryBytes());
        assertEquals(1L << 30, l.maxJarBytes());
        assertEquals(512L << 10, l.maxTotalBytes());
        assertEquals(20_000, l.maxEntries());
        for (String bad : new String[] {"0", "-1", "lots", "", "9999999999999g"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> JarLimits.DEFAULTS.with("max-entry-bytes", bad));
            assertTrue(e.getMessage().contains("max-entry-bytes=" + bad), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JarLimits.DEFAULTS.with("max-entries", "3g"));
        assertTrue(e.getMessage().contains("too large"), e.getMessage());
        // a byte count is read into one array: above 1g, reading could not tell the limit exceeded
        assertEquals(1L << 30, JarLimits.DEFAULTS.with("max-entry-bytes", "1g").maxEntryBytes());
        for (String option : new String[] {"max-jar-bytes", "max-entry-bytes", "max-total-bytes"}) {
            e = assertThrows(IllegalArgumentException.class, () -> JarLimits.DEFAULTS.with(option, "1025m"));
            assertTrue(e.getMessage().contains(option + "=1074790400 is too large: at most 1g"), e.getMessage());
        }
        e = assertThrows(IllegalArgumentException.class, () -> JarLimits.DEFAULTS.with("max-everything", "1"));
        assertTrue(e.getMessage().contains("max-jar-bytes, max-entries"), e.getMessage());
    }

    /** A JAR holding the patch and a 400 MiB entry of zeros whose local header declares 1,000 bytes. */
    private Path bomb(String file, String bombEntry) throws Exception {
        Jars.RawZip zip = new Jars.RawZip();
        if (!bombEntry.equals("META-INF/MANIFEST.MF")) {
            zip.add("META-INF/MANIFEST.MF", Jars.manifestBytes(Jars.manifest("bomb", FIX)));
        }
        Jars.classes(FIX).forEach(zip::add);
        zip.addDeflated(bombEntry.getBytes(StandardCharsets.UTF_8), zeros(), 1000, 0);
        return zip.write(dir.resolve(file));
    }

    private static byte[] bombData;

    private static synchronized byte[] zeros() {
        if (bombData == null) {
            bombData = Jars.deflatedZeros(BOMB_MIB);
        }
        return bombData;
    }

    private static void assertLoads(Path jar, String name) throws Exception {
        PatchHandle h = Jars.lp().load(jar);
        assertEquals(name, h.name());
        h.unregister();
    }
}
