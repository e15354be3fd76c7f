package com.acme.files;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bug (target/classes, the running build) and the fix (target/fixed-classes, built from
 * src/fixed/java) as plain calls, without jlivepatch.
 */
class ResolveTest {

    @TempDir
    Path tmp;

    private FileStore store;
    private FixedBuild fixedBuild;
    private Object fixed;
    private Path www;

    @BeforeEach
    void setUp() throws Exception {
        www = Files.createDirectories(tmp.resolve("www"));
        Files.createDirectories(www.resolve("docs"));
        Files.writeString(www.resolve("docs/guide.txt"), "guide");
        Files.writeString(tmp.resolve("secret.txt"), "secret");
        store = new FileStore(www);
        fixedBuild = new FixedBuild();
        fixed = fixedBuild.store(www);
    }

    @AfterEach
    void tearDown() throws Exception {
        fixedBuild.close();
    }

    @Test
    void buggyResolveEscapesTheDirectory() throws Exception {
        Path p = store.resolve("../secret.txt");
        assertFalse(p.normalize().startsWith(store.baseDir()), p + " should be outside " + store.baseDir());
        assertEquals("secret", new String(store.read("../secret.txt")), "the bug: the secret is readable");
        assertFalse(store.resolve("docs/../../secret.txt").normalize().startsWith(store.baseDir()));
    }

    @Test
    void fixedResolveRefusesEscapes() {
        for (String name : new String[] {"../secret.txt", "docs/../../secret.txt", "..", ".", "docs/..",
                "/etc/passwd", "../www/../secret.txt"}) {
            assertThrows(SecurityException.class, () -> fixedBuild.resolve(fixed, name), name);
            assertThrows(SecurityException.class, () -> fixedBuild.read(fixed, name), name);
        }
    }

    @Test
    void bothServeNamesInsideTheDirectory() throws Exception {
        for (String name : new String[] {"docs/guide.txt", "docs/../docs/guide.txt", "./docs/guide.txt",
                "../www/docs/guide.txt"}) {
            Path resolved = fixedBuild.resolve(fixed, name);
            assertTrue(resolved.startsWith(www), resolved + " should be inside " + www);
            assertEquals(www.resolve("docs/guide.txt"), resolved, name);
            assertEquals(resolved, store.resolve(name).normalize(), name);
            assertArrayEquals(store.read(name), fixedBuild.read(fixed, name), name);
        }
    }

    @Test
    void bothRefuseAbsoluteNames() {
        assertThrows(SecurityException.class, () -> store.resolve("/etc/passwd"));
        assertThrows(SecurityException.class, () -> fixedBuild.resolve(fixed, "/etc/passwd"));
    }

    @Test
    void theFixedBuildDiffersOnlyWhereTheFixIs() throws Exception {
        Path running = Path.of(FileStore.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Map<String, byte[]> before = classFiles(running);
        Map<String, byte[]> after = classFiles(FixedBuild.CLASSES);
        assertEquals(before.keySet(), after.keySet(), "both builds hold the same classes");
        List<String> differ = before.keySet().stream().filter(c -> !java.util.Arrays.equals(before.get(c), after.get(c)))
                .toList();
        assertEquals(List.of("com/acme/files/FileStore.class"), differ, "only FileStore is edited by the fix");
        Map<String, String> buggyOutcomes = FixedBuild.outcomes(store::resolve, store::read);
        Map<String, String> fixedOutcomes = FixedBuild.outcomes(n -> fixedBuild.resolve(fixed, n),
                n -> fixedBuild.read(fixed, n));
        assertFalse(buggyOutcomes.equals(fixedOutcomes), "the fix changes what resolve answers");
    }

    private static Map<String, byte[]> classFiles(Path dir) throws Exception {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                out.put(dir.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
            }
        }
        return out;
    }
}
