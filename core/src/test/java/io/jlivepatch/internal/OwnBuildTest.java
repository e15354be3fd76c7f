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

    private static final String BUILD = "20261201T000000.000Z";

    private static final java.util.function.Supplier<URL> NONE = () -> null;

    @TempDir
    Path dir;

    @Test
    void theseClassesPassTheirOwnCheck() {
        assertDoesNotThrow(() -> OwnBuild.check());
        assertTrue(OwnBuild.stamp().matches("\\d{8}T\\d{6}\\.\\d{3}Z"), OwnBuild.stamp());
    }

    @Test
    void classesOfAnotherBuildThanTheirJarAreRefusedWithWhatToDo() throws IOException {
        URL jar = jar("a.jar", BUILD + "\n").toUri().toURL();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> OwnBuild.check(jar, NONE, "20261130T235959.999Z"));
        assertTrue(e.getMessage().contains("not those of " + dir.resolve("a.jar"))
                && e.getMessage().contains("build 20261130T235959.999Z, the JAR holds build " + BUILD)
                && e.getMessage().contains("-XX:AOTCache") && e.getMessage().contains("Record the archive again")
                && e.getMessage().contains("restart it"), e.getMessage());
        assertDoesNotThrow(() -> OwnBuild.check(jar, NONE, BUILD));
    }

    @Test
    void withoutAJarAtTheCodeSourceTheJarTheClassPathServesTheStampFromIsAsked() throws IOException {
        // classes an archive recorded for a JAR since removed, this start's class path having another build
        URL gone = dir.resolve("removed.jar").toUri().toURL();
        URL current = new URL("jar:" + jar("new.jar", "20261202T000000.000Z").toUri().toURL() + "!/"
                + OwnBuild.RESOURCE);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> OwnBuild.check(gone, () -> current, BUILD));
        assertTrue(e.getMessage().contains("not those of " + dir.resolve("new.jar")), e.getMessage());
        assertThrows(IllegalStateException.class, () -> OwnBuild.check(null, () -> current, BUILD));
        URL same = new URL("jar:" + jar("same.jar", BUILD).toUri().toURL() + "!/" + OwnBuild.RESOURCE);
        assertDoesNotThrow(() -> OwnBuild.check(null, () -> same, BUILD));
        // with a JAR at the code source, that JAR decides, and the class loader is not asked
        URL here = jar("here.jar", BUILD).toUri().toURL();
        assertDoesNotThrow(() -> OwnBuild.check(here, () -> {
            throw new AssertionError("asked");
        }, BUILD));
    }

    @Test
    void aJarWithoutTheStampIsAnotherBuild() throws IOException {
        Path noStamp = dir.resolve("no-stamp.jar");
        try (JarOutputStream jos = new JarOutputStream(Files.newOutputStream(noStamp))) {
            jos.putNextEntry(new JarEntry("a/B.class"));
            jos.closeEntry();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> OwnBuild.check(noStamp.toUri().toURL(), NONE, BUILD));
        assertTrue(e.getMessage().contains("holds no build stamp") && e.getMessage().contains("keep " + OwnBuild.RESOURCE),
                e.getMessage());
    }

    @Test
    void whatAnArchiveNeverServesClassesFromIsNotAsked() throws IOException {
        Path r = dir.resolve(OwnBuild.RESOURCE);
        Files.createDirectories(r.getParent());
        Files.writeString(r, "another build\n");
        URL classes = dir.toUri().toURL();
        assertNull(OwnBuild.jarFile(classes), "a class directory");
        URL inDirectory = new URL(classes, OwnBuild.RESOURCE);
        assertDoesNotThrow(() -> OwnBuild.check(classes, () -> inDirectory, BUILD));
        URL fatJar = jar("app.jar", "x").toUri().toURL();
        // a JAR nested in a JAR (Spring Boot): its outer JAR is not jlivepatch's
        assertNull(OwnBuild.jarOf(new URL("jar:" + fatJar + "!/BOOT-INF/lib/core.jar!/" + OwnBuild.RESOURCE)));
        URL nested = new URL("jar:" + fatJar + "!/BOOT-INF/lib/core.jar!/" + OwnBuild.RESOURCE);
        assertDoesNotThrow(() -> OwnBuild.check(new URL("jar:" + fatJar + "!/BOOT-INF/lib/core.jar!/"),
                () -> nested, BUILD));
        Path notAJar = Files.writeString(dir.resolve("broken.jar"), "not a zip");
        assertDoesNotThrow(() -> OwnBuild.check(notAJar.toUri().toURL(), NONE, BUILD), "unreadable: no evidence");
        assertDoesNotThrow(() -> OwnBuild.check(null, NONE, BUILD));
        assertDoesNotThrow(() -> OwnBuild.check(new URL("jrt:/java.base"), NONE, BUILD));
    }

    private Path jar(String name, String stamp) throws IOException {
        Path jar = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out)) {
            jos.putNextEntry(new JarEntry(OwnBuild.RESOURCE));
            jos.write(stamp.getBytes(StandardCharsets.UTF_8));
            jos.closeEntry();
        }
        return jar;
    }

    @Test
    void aJarOverwrittenInPlaceWithAnotherBuildOrNoJarIsSaidWithWhatToDo() throws IOException {
        Path jar = jar("agent.jar", BUILD + "\n");
        java.nio.file.attribute.BasicFileAttributes then = Files.readAttributes(jar,
                java.nio.file.attribute.BasicFileAttributes.class);
        long modified = then.lastModifiedTime().toMillis();
        assertNull(OwnBuild.overwritten(jar, then.size(), modified, then.fileKey(), BUILD), "as it was");

        byte[] started = Files.readAllBytes(jar);
        Files.write(jar, Files.readAllBytes(jar("other.jar", "20991231T000000.000Z\n"))); // in place: the same file
        String other = OwnBuild.overwritten(jar, then.size(), modified - 1000, then.fileKey(), BUILD);
        assertTrue(other != null && other.contains("jlivepatch's JAR " + jar + " was overwritten since this JVM opened it")
                && other.contains("it now holds build 20991231T000000.000Z") && other.contains("Put back the JAR it"
                + " started with (build " + BUILD + ") at that path, byte for byte, or restart the JVM")
                && other.contains("never by copying it into the file in use"), other);
        Files.writeString(jar, "not a JAR");
        String none = OwnBuild.overwritten(jar, then.size(), modified, then.fileKey(), BUILD);
        assertTrue(none != null && none.contains("it now holds no jlivepatch JAR"), none);

        // the same build written over itself (a later time, the same size and stamp): nothing moved
        Files.write(jar, started);
        assertNull(OwnBuild.overwritten(jar, then.size(), modified - 1000, then.fileKey(), BUILD));
        // another file renamed over the path: the JVM reads the one it opened; and a file removed
        Path next = jar("next.jar", "20991231T000000.000Z\n");
        Files.move(next, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertNull(OwnBuild.overwritten(jar, then.size(), modified, then.fileKey(), BUILD));
        Files.delete(jar);
        assertNull(OwnBuild.overwritten(jar, then.size(), modified, then.fileKey(), BUILD));
    }

    /**
     * The JVM reads the file it opened, whatever its name now: renamed away (kept as the old version)
     * and then overwritten in place, it is as overwritten as under its first name, and another file
     * at that name changes nothing. Before, only the path was looked at: gone, or another file, so
     * nothing was said.
     */
    @Test
    void aJarRenamedAwayAndThenOverwrittenIsSaidUnderItsNewName() throws IOException {
        Path jar = jar("agent.jar", BUILD + "\n");
        java.nio.file.attribute.BasicFileAttributes then = Files.readAttributes(jar,
                java.nio.file.attribute.BasicFileAttributes.class);
        try (java.nio.channels.FileChannel held = java.nio.channels.FileChannel.open(jar)) { // as the class loader holds it
            Path kept = Files.move(jar, dir.resolve("agent-old.jar"));
            Files.write(kept, Files.readAllBytes(jar("other.jar", "20991231T000000.000Z\n"))); // in place
            long modified = then.lastModifiedTime().toMillis() - 1000;
            String said = OwnBuild.overwritten(jar, then.size(), modified, then.fileKey(), BUILD);
            assertTrue(said != null && said.contains("jlivepatch's JAR " + kept + " was overwritten since this JVM opened it")
                    && said.contains("it now holds build 20991231T000000.000Z"), said);
            jar("agent.jar", BUILD + "\n"); // a new file under the first name: the JVM does not read it
            assertEquals(said, OwnBuild.overwritten(jar, then.size(), modified, then.fileKey(), BUILD));
            assertTrue(held.isOpen());
        }
    }

    /** The two times in the same form, to the millisecond, as the JVM records the first: comparable at a glance. */
    @Test
    void theTimesThenAndNowAreSaidAlike() throws IOException {
        Path jar = jar("agent.jar", BUILD + "\n");
        java.nio.file.attribute.BasicFileAttributes then = Files.readAttributes(jar,
                java.nio.file.attribute.BasicFileAttributes.class);
        Files.write(jar, Files.readAllBytes(jar("other.jar", "20991231T000000.000Z\n")));
        java.time.Instant now = java.time.Instant.parse("2026-12-06T16:07:30.773900022Z");
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.from(now));
        long modified = then.lastModifiedTime().toMillis();
        String said = OwnBuild.overwritten(jar, then.size(), modified, then.fileKey(), BUILD);
        assertTrue(said != null && said.contains("modified " + java.time.Instant.ofEpochMilli(modified) + " then, "
                + "2026-12-06T16:07:30.773Z now;"), said);
    }

    /**
     * Another build of the same size written in place with its time kept (cp --preserve=timestamps,
     * and images whose files all have one time, such as Jib's): size and time say nothing, the file's
     * change time, which no copy can set, does. Before, only size and time were compared: not seen.
     */
    @Test
    void anotherBuildOfTheSameSizeWrittenWithItsTimeKeptIsSeen() throws IOException {
        Path jar = jar("agent.jar", BUILD + "\n");
        java.nio.file.attribute.BasicFileAttributes then = Files.readAttributes(jar,
                java.nio.file.attribute.BasicFileAttributes.class);
        long changed = OwnBuild.changed(jar);
        assertTrue(changed != OwnBuild.UNKNOWN, "a change time on Linux");
        byte[] other = Files.readAllBytes(jar("other.jar", "20991231T000000.000Z\n"));
        assertEquals(then.size(), other.length, "another build of the same size");
        assertNull(OwnBuild.overwritten(jar, then.size(), then.lastModifiedTime().toMillis(), changed, then.fileKey(),
                BUILD), "as it was");
        Files.write(jar, other);
        Files.setLastModifiedTime(jar, then.lastModifiedTime()); // the time kept
        String said = OwnBuild.overwritten(jar, then.size(), then.lastModifiedTime().toMillis(), changed,
                then.fileKey(), BUILD);
        assertTrue(said != null && said.contains("it now holds build 20991231T000000.000Z") && said.contains(
                "written since, its time kept"), said);
        // the same build written back with its time kept: the same bytes, not refused
        Files.write(jar, Files.readAllBytes(jar("again.jar", BUILD + "\n")));
        Files.setLastModifiedTime(jar, then.lastModifiedTime());
        assertNull(OwnBuild.overwritten(jar, then.size(), then.lastModifiedTime().toMillis(), changed, then.fileKey(),
                BUILD));
    }

    /**
     * The same write where the file system gives no change time (or one too coarse to move): size,
     * time and file key are as they were, and only the content differs. The CRC-32 of the central
     * directory recorded at the installation (every entry's CRC-32, size and offset) tells it. Before,
     * with no change time, such a copy of another build passed.
     */
    @Test
    void anotherBuildOfTheSameSizeAndTimeIsSeenWithoutAChangeTime() throws IOException {
        Path jar = jar("agent.jar", BUILD + "\n");
        java.nio.file.attribute.BasicFileAttributes then = Files.readAttributes(jar,
                java.nio.file.attribute.BasicFileAttributes.class);
        long modified = then.lastModifiedTime().toMillis();
        long directory = OwnBuild.directory(jar);
        assertTrue(directory >= 0, "a central directory");
        assertNull(OwnBuild.overwritten(jar, then.size(), modified, OwnBuild.UNKNOWN, directory, then.fileKey(), BUILD),
                "as it was");
        byte[] other = Files.readAllBytes(jar("other.jar", "20991231T000000.000Z\n"));
        assertEquals(then.size(), other.length, "another build of the same size");
        Files.write(jar, other);
        Files.setLastModifiedTime(jar, then.lastModifiedTime()); // the time kept
        String said = OwnBuild.overwritten(jar, then.size(), modified, OwnBuild.UNKNOWN, directory, then.fileKey(),
                BUILD);
        assertTrue(said != null && said.contains("it now holds build 20991231T000000.000Z") && said.contains(
                "written since, its time kept"), said);
        // the same build written back with its time kept: the same directory, not refused
        Files.write(jar, Files.readAllBytes(jar("again.jar", BUILD + "\n")));
        Files.setLastModifiedTime(jar, then.lastModifiedTime());
        assertNull(OwnBuild.overwritten(jar, then.size(), modified, OwnBuild.UNKNOWN, directory, then.fileKey(), BUILD));
        // a record without the directory (a JVM of an older jlivepatch): size and time alone, as before
        Files.write(jar, other);
        Files.setLastModifiedTime(jar, then.lastModifiedTime());
        assertNull(OwnBuild.overwritten(jar, then.size(), modified, OwnBuild.UNKNOWN, then.fileKey(), BUILD));
    }

    /** The directory's CRC-32 is found past a zip comment too; a file that is no zip has none. */
    @Test
    void theCentralDirectoryIsFoundWithACommentAndNotInAFileThatIsNoZip() throws IOException {
        Path jar = jar("agent.jar", BUILD + "\n");
        long directory = OwnBuild.directory(jar);
        byte[] bytes = Files.readAllBytes(jar);
        byte[] commented = java.util.Arrays.copyOf(bytes, bytes.length + 5);
        commented[bytes.length - 2] = 5; // the record's comment length, little-endian
        System.arraycopy("hello".getBytes(StandardCharsets.US_ASCII), 0, commented, bytes.length, 5);
        Path withComment = Files.write(dir.resolve("commented.jar"), commented);
        assertEquals(directory, OwnBuild.directory(withComment));
        assertEquals(-1, OwnBuild.directory(Files.writeString(dir.resolve("text.jar"), "not a JAR at all, some text")));
        assertEquals(OwnBuild.UNKNOWN, OwnBuild.directory(dir.resolve("absent.jar")));
    }
}
