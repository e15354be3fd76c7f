package io.jlivepatch.build;

import io.jlivepatch.BuildReport;
import io.jlivepatch.PatchBuild;
import io.jlivepatch.internal.build.WalkHook;
import io.jlivepatch.internal.jar.PatchJar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A class directory (or a {@code --source} tree) as a file system gives it: symbolic links are
 * followed as the JVM's class path follows them, a loop or a link to nothing is refused naming it,
 * and a directory or file that cannot be read, or is gone while the build reads it, is refused in
 * one line naming it and saying what to do, the output left as it was. Before, a linked package
 * directory was skipped (a patch without its classes), a build given as a link had "no class files",
 * and a walk's failure left the builder as an {@code UncheckedIOException}.
 */
class BuildFileSystemInputTest {

    private static final String PRICING = "com/acme/body/Pricing.class";
    private static final byte[] EARLIER = "an earlier patch".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @AfterEach
    void unhook() {
        WalkHook.reset();
    }

    @Test
    void aPackageDirectoryThatIsASymbolicLinkIsRead() throws Exception {
        Path newBuild = copy("new");
        Path linked = Files.move(newBuild.resolve("com/acme/body"), dir.resolve("elsewhere"));
        Files.createSymbolicLink(newBuild.resolve("com/acme/body"), linked);
        assertPatchOfPrice(newBuild);
    }

    @Test
    void aBuildGivenAsASymbolicLinkIsRead() throws Exception {
        // an installation's /opt/app/current: before, "the build ... has no class files"
        Path link = Files.createSymbolicLink(dir.resolve("current"), copy("new"));
        assertPatchOfPrice(link);
    }

    @Test
    void aClassFileThatIsASymbolicLinkIsRead() throws Exception {
        Path newBuild = copy("new");
        Path linked = Files.move(newBuild.resolve(PRICING), dir.resolve("Pricing.class"));
        Files.createSymbolicLink(newBuild.resolve(PRICING), linked);
        assertPatchOfPrice(newBuild);
    }

    @Test
    void aLinkThatShowsAPackageDirectoryOfTheBuildUnderAnotherNameIsNoMisplacedClass() throws Exception {
        // before: "<build> holds class com.acme.body.Driver as com/acme/alias/Driver.class: give the JAR or the
        // directory its packages start in", of the very directory its packages start in
        Path newBuild = copy("new");
        Files.createSymbolicLink(newBuild.resolve("com/acme/alias"), Path.of("body"));
        Files.createSymbolicLink(newBuild.resolve("all"), Path.of("com"));
        assertPatchOfPrice(newBuild);
        // a class file of its own under a wrong name is still a sign of the wrong directory
        Files.delete(newBuild.resolve("all"));
        Path copied = Files.createDirectories(newBuild.resolve("com/acme/copy")).resolve("Pricing.class");
        Files.copy(newBuild.resolve(PRICING), copied);
        assertEquals("cannot read the build " + newBuild + ": " + newBuild + " holds class com.acme.body.Pricing as"
                + " com/acme/copy/Pricing.class: give the JAR or the directory its packages start in (for a Maven"
                + " project, target/classes)", refused(newBuild).getMessage());
    }

    @Test
    void aLinkToADirectoryHoldingItIsRefusedNamingIt() throws Exception {
        for (String target : List.of(".", "..", "../../..", "/")) {
            Path newBuild = copy("new-" + target.hashCode());
            Path link = Files.createSymbolicLink(newBuild.resolve("com/acme/body/loop"), Path.of(target));
            IOException e = refused(newBuild);
            assertEquals("cannot read the build " + newBuild + ": " + link + " is a symbolic link to " + target
                    + ", a directory that holds it (a loop): remove the link", e.getMessage());
        }
    }

    @Test
    void aLinkToNothingWhereAClassIsIsRefusedNamingIt() throws Exception {
        Path newBuild = copy("new");
        Files.delete(newBuild.resolve(PRICING));
        Path link = Files.createSymbolicLink(newBuild.resolve(PRICING), dir.resolve("gone/Pricing.class"));
        IOException e = refused(newBuild);
        assertEquals("cannot read the build " + newBuild + ": " + link + " is a symbolic link to "
                + dir.resolve("gone/Pricing.class") + ", which does not exist or cannot be read: point it at the file,"
                + " or remove it", e.getMessage());
    }

    @Test
    void aPipeWhereAClassIsIsRefusedNotOpened() throws Exception {
        Path newBuild = copy("new");
        Files.delete(newBuild.resolve(PRICING));
        Path pipe = newBuild.resolve(PRICING);
        assumeTrue(mkfifo(pipe), "mkfifo");
        IOException e = refused(newBuild);
        assertEquals("cannot read the build " + newBuild + ": " + pipe + " is not a file (a device, a pipe or a socket):"
                + " remove it from the build", e.getMessage());
    }

    @Test
    void aLinkToNothingOrAPipeThatIsNoClassIsLeftAlone() throws Exception {
        Path newBuild = copy("new");
        Files.createSymbolicLink(newBuild.resolve("com/acme/body/notes.txt"), dir.resolve("gone.txt"));
        assertPatchOfPrice(newBuild);
    }

    @Test
    void aDirectoryTheWalkCannotOpenIsRefusedNamingIt() throws Exception {
        Path newBuild = copy("new");
        Path body = newBuild.resolve("com/acme/body");
        // as root every directory opens: what the walk reports for one that does not, without root
        WalkHook.set(visitor -> new Wrapper(visitor) {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                return d.equals(body) ? visitor.visitFileFailed(d, new AccessDeniedException(d.toString()))
                        : visitor.preVisitDirectory(d, attrs);
            }
        });
        IOException e = refused(newBuild);
        assertEquals("cannot read the build " + newBuild + ": " + body + " cannot be read (permission denied): check"
                + " that it is there and readable, and that nothing changes the build while jlivepatch reads it; then"
                + " retry", e.getMessage());
    }

    @Test
    void aDirectoryWhoseListingFailsIsRefusedNamingIt() throws Exception {
        Path newBuild = copy("new");
        Path body = newBuild.resolve("com/acme/body");
        WalkHook.set(visitor -> new Wrapper(visitor) {
            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException failed) throws IOException {
                return visitor.postVisitDirectory(d, d.equals(body) ? new IOException("Input/output error") : failed);
            }
        });
        IOException e = refused(newBuild);
        assertEquals("cannot read the build " + newBuild + ": " + body + " cannot be read (Input/output error): check"
                + " that it is there and readable, and that nothing changes the build while jlivepatch reads it; then"
                + " retry", e.getMessage());
    }

    @Test
    void aClassFileGoneBetweenTheWalkAndItsReadIsRefusedNamingIt() throws Exception {
        Path newBuild = copy("new");
        Path pricing = newBuild.resolve(PRICING);
        WalkHook.set(visitor -> new Wrapper(visitor) {
            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException failed) throws IOException {
                if (d.equals(newBuild)) {
                    Files.delete(pricing); // walked, not read yet
                }
                return visitor.postVisitDirectory(d, failed);
            }
        });
        IOException e = refused(newBuild);
        // before: "entry com/acme/body/Pricing.class of ... cannot be read (<path>): the build is damaged; build it again"
        assertEquals("cannot read the build " + newBuild + ": " + pricing + " cannot be read (it is gone: removed while"
                + " it was read?): check that it is there and readable, and that nothing changes the build while"
                + " jlivepatch reads it; then retry", e.getMessage());
    }

    @Test
    void aSourceDirectoryThatIsASymbolicLinkIsCompiled() throws Exception {
        Path sources = Files.createDirectories(dir.resolve("fix/com/acme/body"));
        Files.copy(Corpus.source("supported", "body", "new", "com/acme/body/Pricing.java"), sources.resolve("Pricing.java"));
        Path link = Files.createSymbolicLink(dir.resolve("fix-link"), dir.resolve("fix"));
        Path out = dir.resolve("fix.jar");
        // before: "--source .../fix-link holds no .java file"
        BuildReport r = PatchBuild.compile(Corpus.build("supported", "body", "old"), List.of(link)).name("fix")
                .writeTo(out);
        assertEquals(List.of("com.acme.body.Pricing.price(I)I"), r.changedFunctions());
        PatchJar.read(out);
    }

    @Test
    void aSourceDirectoryTheWalkCannotReadIsRefusedNamingIt() throws Exception {
        Path sources = Files.createDirectories(dir.resolve("fix/com/acme/body"));
        Files.copy(Corpus.source("supported", "body", "new", "com/acme/body/Pricing.java"), sources.resolve("Pricing.java"));
        WalkHook.set(visitor -> new Wrapper(visitor) {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                return d.equals(sources) ? visitor.visitFileFailed(d, new AccessDeniedException(d.toString()))
                        : visitor.preVisitDirectory(d, attrs);
            }
        });
        Path out = Files.write(dir.resolve("fix.jar"), EARLIER);
        IOException e = assertThrows(IOException.class, () -> PatchBuild.compile(Corpus.build("supported", "body",
                "old"), List.of(dir.resolve("fix"))).name("fix").writeTo(out));
        MutatedBuildInputTest.assertCleanRefusal("the case", e);
        assertEquals("cannot read --source " + dir.resolve("fix") + ": " + sources + " cannot be read (permission"
                + " denied): check that it is there and readable, and that nothing changes the sources while jlivepatch"
                + " reads it; then retry", e.getMessage());
        assertArrayEquals(EARLIER, Files.readAllBytes(out));
    }

    // ------------------------------------------------------------------------------------------------

    /** The body case's build, copied to change it. */
    private Path copy(String name) throws IOException {
        Path root = Files.createDirectories(dir.resolve(name));
        for (Map.Entry<String, byte[]> f : Archives.files(Corpus.build("supported", "body", name.startsWith("old")
                ? "old" : "new")).entrySet()) {
            Path p = root.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, f.getValue());
        }
        return root;
    }

    private void assertPatchOfPrice(Path newBuild) throws Exception {
        Path out = dir.resolve("fix.jar");
        BuildReport r = PatchBuild.compare(Corpus.build("supported", "body", "old"), newBuild).name("fix").writeTo(out);
        assertEquals(List.of("com.acme.body.Pricing.price(I)I"), r.changedFunctions());
        PatchJar.read(out);
    }

    /** Refused, in one clean line, before anything is written: an earlier patch there stays as it was. */
    private IOException refused(Path newBuild) throws IOException {
        Path out = Files.write(dir.resolve("fix.jar"), EARLIER);
        IOException e = assertThrows(IOException.class, () -> PatchBuild.compare(Corpus.build("supported", "body",
                "old"), newBuild).name("fix").writeTo(out));
        MutatedBuildInputTest.assertCleanRefusal("the case", e);
        assertArrayEquals(EARLIER, Files.readAllBytes(out));
        try (var left = Files.list(dir)) {
            assertFalse(left.anyMatch(p -> p.getFileName().toString().startsWith("fix.jar.")), "a leftover beside it");
        }
        return e;
    }

    private static boolean mkfifo(Path p) throws Exception {
        try {
            Process proc = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
            return proc.waitFor(30, TimeUnit.SECONDS) && proc.exitValue() == 0;
        } catch (IOException noMkfifo) {
            return false;
        }
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
