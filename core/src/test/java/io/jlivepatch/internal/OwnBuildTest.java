package io.jlivepatch.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OwnBuildTest {

    @TempDir
    Path dir;

    @Test
    void theseClassesAreTheirDirectorysBuild() {
        assertDoesNotThrow(() -> OwnBuild.check());
        assertTrue(OwnBuild.stamp().matches("\\d{8}T\\d{6}\\.\\d{3}Z"), OwnBuild.stamp());
    }

    @Test
    void classesOfAnotherBuildThanTheirJarAreRefusedWithWhatToDo() throws IOException {
        URL jar = jar("20261201T000000.000Z\n").toUri().toURL();
        assertEquals("20261201T000000.000Z", OwnBuild.stampAt(jar));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> OwnBuild.check(jar, "20261130T235959.999Z"));
        assertTrue(e.getMessage().contains("not those of " + jar) && e.getMessage().contains("20261130T235959.999Z")
                && e.getMessage().contains("20261201T000000.000Z") && e.getMessage().contains("-XX:AOTCache")
                && e.getMessage().contains("Record the archive again"), e.getMessage());
        assertDoesNotThrow(() -> OwnBuild.check(jar, "20261201T000000.000Z"));
    }

    @Test
    void aDirectoryIsReadLikeAJar() throws IOException {
        Path r = dir.resolve(OwnBuild.RESOURCE);
        Files.createDirectories(r.getParent());
        Files.writeString(r, "20261201T000000.000Z\n");
        URL classes = dir.toUri().toURL();
        assertEquals("20261201T000000.000Z", OwnBuild.stampAt(classes));
        assertThrows(IllegalStateException.class, () -> OwnBuild.check(classes, "other"));
    }

    @Test
    void withoutAStampBesideTheClassesThereIsNothingToCompare() throws IOException {
        Path noStamp = dir.resolve("no-stamp.jar");
        try (JarOutputStream jos = new JarOutputStream(Files.newOutputStream(noStamp))) {
            jos.putNextEntry(new JarEntry("a/B.class"));
            jos.closeEntry();
        }
        Path notAJar = Files.writeString(dir.resolve("broken.jar"), "not a zip");
        assertNull(OwnBuild.stampAt(noStamp.toUri().toURL()));
        assertNull(OwnBuild.stampAt(notAJar.toUri().toURL()));
        assertNull(OwnBuild.stampAt(null));
        assertNull(OwnBuild.stampAt(new URL("jrt:/java.base")));
        assertDoesNotThrow(() -> OwnBuild.check(noStamp.toUri().toURL(), "any"));
        assertDoesNotThrow(() -> OwnBuild.check(null, "any"));
    }

    private Path jar(String stamp) throws IOException {
        Path jar = dir.resolve("jlivepatch.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out)) {
            jos.putNextEntry(new JarEntry(OwnBuild.RESOURCE));
            jos.write(stamp.getBytes(StandardCharsets.UTF_8));
            jos.closeEntry();
        }
        return jar;
    }
}
