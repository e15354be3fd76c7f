package io.jlivepatch.build;

import io.jlivepatch.PatchBuild;
import io.jlivepatch.internal.build.WalkHook;
import io.jlivepatch.internal.jar.PatchJar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The patch JAR's path ({@code -o}) refused before anything is built, in one line naming it (control
 * characters escaped) and saying what to do, when the JAR could not be written there: its directory
 * missing, a file, or not writable; and a write that fails all the same said in the builder's words.
 * Before, each of these surfaced after the whole build as the file system's exception, whose message
 * was only the raw path of the temporary file beside the output, and paths were quoted raw.
 */
class BuildOutputTest {

    private static final byte[] NOTES = "not a directory".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @AfterEach
    void unhook() {
        WalkHook.reset();
    }

    @Test
    void anOutputInADirectoryThatIsAFileIsRefused() throws Exception {
        Path notes = Files.write(dir.resolve("notes.txt"), NOTES);
        for (Path out : List.of(notes.resolve("fix.jar"), notes.resolve("more/fix.jar"))) {
            // before: "cannot write the patch JAR <out>: <dir>/notes.txt/.fix.jar.<n>.tmp (check that ...)"
            assertEquals("cannot write the patch JAR " + out + ": " + notes + " is a file, not a directory: give the"
                    + " patch JAR a path in a directory", refused(out).getMessage());
            assertArrayEquals(NOTES, Files.readAllBytes(notes));
        }
    }

    @Test
    void anOutputInADirectoryThatDoesNotExistIsRefused() throws Exception {
        Path out = dir.resolve("missing/fix.jar");
        // before: "cannot write the patch JAR <out>: <dir>/missing/.fix.jar.<n>.tmp (check that ...)"
        assertEquals("cannot write the patch JAR " + out + ": its directory " + out.getParent() + " does not exist:"
                + " create it, or give the patch JAR a path in an existing directory", refused(out).getMessage());
        assertFalse(Files.exists(out.getParent()));
    }

    @Test
    void anOutputInADirectoryThatCannotBeWrittenIsRefused() throws Exception {
        Path locked = Files.createDirectories(dir.resolve("locked"));
        Path parent = locked;
        if (Files.getFileStore(locked).supportsFileAttributeView("posix")) {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        }
        if (Files.isWritable(locked)) {
            // root writes any directory of its own: /proc/self it may not (Linux)
            parent = Path.of("/proc/self");
        }
        assumeTrue(Files.isDirectory(parent) && !Files.isWritable(parent), "no directory this user cannot write");
        Path out = parent.resolve("fix.jar");
        try {
            // before: "cannot write the patch JAR <out>: <parent>/.fix.jar.<n>.tmp (check that ...)"
            assertEquals("cannot write the patch JAR " + out + ": its directory " + parent + " is not writable: make it"
                    + " writable, or give the patch JAR a path in a directory you may write", refused(out).getMessage());
            assertFalse(Files.exists(out));
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void pathsWithControlCharactersAreEscaped() throws Exception {
        Path patches = Files.createDirectories(dir.resolve("pat\u001bches\n"));
        assertEquals(esc(patches) + " is a directory: give the patch JAR's file name (" + esc(patches) + "/fix.jar)",
                refused(patches).getMessage());
        Path missing = dir.resolve("gone\u0007/fix.jar");
        assertEquals("cannot write the patch JAR " + esc(missing) + ": its directory " + esc(missing.getParent())
                + " does not exist: create it, or give the patch JAR a path in an existing directory",
                refused(missing).getMessage());

        Path oldJar = Corpus.jar(Corpus.build("supported", "body", "old"), dir.resolve("app\r1.0.jar"));
        byte[] oldBytes = Files.readAllBytes(oldJar);
        IOException e = assertThrows(IOException.class, () -> PatchBuild.compare(oldJar, Corpus.build("supported",
                "body", "new")).name("fix").writeTo(oldJar));
        MutatedBuildInputTest.assertCleanRefusal("the case", e);
        assertEquals(esc(oldJar) + " is the build " + esc(oldJar) + " that the patch is made from: writing the patch"
                + " there would replace it; give the patch JAR another file name", e.getMessage());
        assertArrayEquals(oldBytes, Files.readAllBytes(oldJar));
    }

    @Test
    void aWriteThatFailsOnceTheBuildIsReadIsRefusedInTheBuildersWords() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out")).resolve("fix.jar");
        Path oldBuild = Corpus.build("supported", "body", "old");
        // the output's directory removed while the old build is read: past the check, before the write
        WalkHook.set(visitor -> new Wrapper(visitor) {
            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException failed) throws IOException {
                if (d.equals(oldBuild) && Files.exists(out.getParent())) {
                    Files.delete(out.getParent());
                }
                return visitor.postVisitDirectory(d, failed);
            }
        });
        IOException e = assertThrows(IOException.class, () -> PatchBuild.compare(oldBuild, Corpus.build("supported",
                "body", "new")).name("fix").writeTo(out));
        MutatedBuildInputTest.assertCleanRefusal("the case", e);
        // before: "cannot write the patch JAR <out>: <dir>/out/.fix.jar.<n>.tmp (check that its directory ...)"
        assertEquals("cannot write the patch JAR " + out + " (its directory is gone, or a file is: removed meanwhile?):"
                + " check that its directory exists and is writable, and that its disk has room; then retry",
                e.getMessage());
        assertFalse(Files.exists(out.getParent()));
    }

    @Test
    void anOutputThatIsAFileOfABuildDirectoryIsRefused() throws Exception {
        // before: built, and the patch JAR moved over the build's own class file (through a link or not)
        Path newBuild = dir.resolve("new");
        for (java.util.Map.Entry<String, byte[]> f : Archives.files(Corpus.build("supported", "body", "new"))
                .entrySet()) {
            Files.createDirectories(newBuild.resolve(f.getKey()).getParent());
            Files.write(newBuild.resolve(f.getKey()), f.getValue());
        }
        Path pricing = newBuild.resolve("com/acme/body/Pricing.class").toRealPath();
        byte[] bytes = Files.readAllBytes(pricing);
        Path link = Files.createSymbolicLink(dir.resolve("out"), newBuild.resolve("com/acme/body"));
        for (Path out : List.of(link.resolve("Pricing.class"), newBuild.resolve("com/acme/body/Pricing.class"))) {
            List<Path> before = listing();
            IOException e = assertThrows(IOException.class, () -> PatchBuild.compare(Corpus.build("supported", "body",
                    "old"), newBuild).name("fix").writeTo(out));
            MutatedBuildInputTest.assertCleanRefusal("the case", e);
            assertEquals(out + " is " + pricing + ", a file of the build " + newBuild + " that the patch is made from:"
                    + " writing the patch there would replace it; give the patch JAR a path outside the build",
                    e.getMessage());
            assertEquals(before, listing(), "something written");
            assertArrayEquals(bytes, Files.readAllBytes(pricing));
        }
        // a new file there replaces nothing: written, as before
        Path beside = link.resolve("fix.jar");
        PatchBuild.compare(Corpus.build("supported", "body", "old"), newBuild).name("fix").writeTo(beside);
        PatchJar.read(beside);

        // a Maven project is read from its target/classes: the patch of the build before, in target, is no file
        // of the build, and is written over as before
        Path project = Files.createDirectories(dir.resolve("project/target"));
        Files.writeString(project.resolve("../pom.xml"), "<project/>");
        Files.move(newBuild, project.resolve("classes"));
        Path previous = Files.write(project.resolve("fix.jar"), NOTES);
        for (int i = 0; i < 2; i++) {
            PatchBuild.compare(Corpus.build("supported", "body", "old"), project.getParent()).name("fix")
                    .writeTo(previous);
            PatchJar.read(previous);
        }
    }

    @Test
    void anOutputThatIsASourceFileOfTheBuildIsRefused() throws Exception {
        // before: compiled, and the patch JAR moved over the fix's own source file
        Path sources = Files.createDirectories(dir.resolve("src"));
        Path source = Files.copy(Corpus.source("supported", "body", "new", "com/acme/body/Pricing.java"),
                sources.resolve("Pricing.java"));
        byte[] bytes = Files.readAllBytes(source);
        for (Path in : List.of(source, sources)) {
            IOException e = assertThrows(IOException.class, () -> PatchBuild.compile(Corpus.build("supported",
                    "body", "old"), List.of(in)).name("fix").writeTo(source));
            MutatedBuildInputTest.assertCleanRefusal("the case", e);
            assertTrue(e.getMessage().startsWith(source + " is "), e.getMessage());
            assertTrue(e.getMessage().endsWith(" that the patch is made from: writing the patch there would replace"
                    + " it; give the patch JAR " + (in == source ? "another file name" : "a path outside the build")),
                    e.getMessage());
            assertArrayEquals(bytes, Files.readAllBytes(source));
        }
    }

    @Test
    void anOutputInAnExistingWritableDirectoryIsWritten() throws Exception {
        Path out = Files.createDirectories(dir.resolve("a b/c")).resolve("fix.jar");
        PatchBuild.compare(Corpus.build("supported", "body", "old"), Corpus.build("supported", "body", "new"))
                .name("fix").writeTo(out);
        PatchJar.read(out);
    }

    // ------------------------------------------------------------------------------------------------

    /** Refused in one clean line before anything is built, and nothing left in the test's directory but what was there. */
    private IOException refused(Path out) throws IOException {
        List<Path> before = listing();
        IOException e = assertThrows(IOException.class, () -> PatchBuild.compare(Corpus.build("supported", "body",
                "old"), Corpus.build("supported", "body", "new")).name("fix").writeTo(out));
        MutatedBuildInputTest.assertCleanRefusal("the case", e);
        assertEquals(before, listing(), "something written");
        return e;
    }

    private List<Path> listing() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.sorted().toList();
        }
    }

    /** A path as the builder's messages give it: control characters escaped. */
    private static String esc(Path p) {
        String s = p.toString().replace("\u001b", "\\e").replace("\n", "\\n").replace("\r", "\\r")
                .replace("\u0007", "\\u0007");
        assertTrue(s.chars().noneMatch(c -> c < 0x20), s);
        return s;
    }

    /** A visitor passing everything on: a test overrides the step it changes. */
    private static class Wrapper implements FileVisitor<Path> {
        private final FileVisitor<Path> visitor;

        Wrapper(FileVisitor<Path> visitor) {
            this.visitor = visitor;
        }

        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
            return visitor.preVisitDirectory(d, attrs);
        }

        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
            return visitor.visitFile(f, attrs);
        }

        @Override
        public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
            return visitor.visitFileFailed(f, e);
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            return visitor.postVisitDirectory(d, e);
        }
    }
}
