package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a patch JAR is read from, at start-up, by a watch and by {@code Livepatch.load}: files
 * whose read may never return are refused before they are opened.
 */
class PatchJarBytesTest {

    @TempDir
    Path dir;

    @Test
    @EnabledOnOs(OS.LINUX)
    void aLinkToAKernelFileIsRefusedUnread() throws Exception {
        // /proc/kmsg would hold the reader until the kernel logs again; like it, this one says it is empty.
        Path link = Files.createSymbolicLink(dir.resolve("fix.jar"), Paths.get("/proc/self/status"));
        PatchException e = assertThrows(PatchException.class, () -> PatchJarBytes.read(link, JarLimits.current()));
        assertEquals(PatchException.Reason.INVALID_PATCH, e.reason());
        assertTrue(e.getMessage().endsWith("fix.jar: is empty (0 bytes, as every file of the kernel's /proc says it"
                + " is): it is not read; give a patch JAR"), e.getMessage());
    }

    @Test
    void anEmptyFileIsRefusedUnread() throws Exception {
        Path empty = Files.createFile(dir.resolve("fix.jar"));
        PatchException e = assertThrows(PatchException.class, () -> PatchJarBytes.read(empty, JarLimits.current()));
        assertEquals(PatchException.Reason.INVALID_PATCH, e.reason());
        assertTrue(e.getMessage().endsWith("fix.jar: is empty (0 bytes, as every file of the kernel's /proc says it"
                + " is): it is not read; give a patch JAR"), e.getMessage());
    }
}
