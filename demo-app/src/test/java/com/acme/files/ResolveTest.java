package com.acme.files;

import com.acme.files.fix.ResolveFix;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bug and the fix as plain calls, without jlivepatch. */
class ResolveTest {

    @TempDir
    Path tmp;

    private FileStore store;
    private Path www;

    @BeforeEach
    void setUp() throws Exception {
        www = Files.createDirectories(tmp.resolve("www"));
        Files.createDirectories(www.resolve("docs"));
        Files.writeString(www.resolve("docs/guide.txt"), "guide");
        Files.writeString(tmp.resolve("secret.txt"), "secret");
        store = new FileStore(www);
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
            assertThrows(SecurityException.class, () -> ResolveFix.resolve(store, name), name);
        }
    }

    @Test
    void bothServeNamesInsideTheDirectory() {
        for (String name : new String[] {"docs/guide.txt", "docs/../docs/guide.txt", "./docs/guide.txt"}) {
            Path fixed = ResolveFix.resolve(store, name);
            assertTrue(fixed.startsWith(www), fixed + " should be inside " + www);
            assertEquals(www.resolve("docs/guide.txt"), fixed, name);
            assertEquals(fixed, store.resolve(name).normalize(), name);
        }
    }

    @Test
    void bothRefuseAbsoluteNames() {
        assertThrows(SecurityException.class, () -> store.resolve("/etc/passwd"));
        assertThrows(SecurityException.class, () -> ResolveFix.resolve(store, "/etc/passwd"));
    }
}
