package io.jlivepatch.build;

import io.jlivepatch.PatchBuild;
import io.jlivepatch.internal.build.JarReadHook;
import io.jlivepatch.internal.jar.PatchJar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A build given as a JAR is digested for the patch's manifest ({@code Livepatch-Old-Build-SHA256},
 * {@code Livepatch-New-Build-SHA256}) from the very bytes whose classes were compared: a JAR replaced
 * or rewritten while the build reads it (a CI job writing the next build into the same path) is
 * refused in one line, the output left as it was. Before, the digest was a second read of whatever
 * the path held once the classes had been read: the patch recorded another file's SHA-256, which
 * core shows operators as what the patch was built from. A JAR that cannot be opened or digested is
 * refused naming it.
 */
class BuildJarChangedTest {

    private static final byte[] EARLIER = "an earlier patch".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private Path oldJar;
    private Path newJar;
    /** Another build's JAR, for the new one's path: the old build's classes with the new one's name. */
    private byte[] other;

    @BeforeEach
    void jars() throws IOException {
        oldJar = Corpus.jar(Corpus.build("supported", "body", "old"), dir.resolve("app-1.0.jar"));
        newJar = Corpus.jar(Corpus.build("supported", "body", "new"), dir.resolve("app-1.1.jar"));
        other = Files.readAllBytes(Corpus.jar(Corpus.build("supported", "body", "old"), dir.resolve("other.jar")));
        Files.delete(dir.resolve("other.jar"));
    }

    @AfterEach
    void unhook() {
        JarReadHook.reset();
    }

    @Test
    void thePatchRecordsTheDigestsOfTheJarsItWasBuiltFrom() throws Exception {
        Path out = dir.resolve("out/fix.jar");
        Files.createDirectories(out.getParent());
        PatchBuild.compare(oldJar, newJar).name("fix").writeTo(out);
        try (JarFile patch = new JarFile(out.toFile())) {
            var main = patch.getManifest().getMainAttributes();
            assertEquals(sha256(Files.readAllBytes(oldJar)), main.getValue(PatchJar.OLD_BUILD));
            assertEquals(sha256(Files.readAllBytes(newJar)), main.getValue(PatchJar.NEW_BUILD));
        }
    }

    @Test
    void aJarReplacedByAMoveOnceItsEntriesWereReadIsRefused() throws Exception {
        // before: the patch of app-1.1.jar's classes recorded the SHA-256 of the file moved over it
        at(JarReadHook.Stage.READ, this::moveOtherOver);
        assertChanged(refused());
    }

    @Test
    void aJarRewrittenInPlaceOnceItsEntriesWereReadIsRefused() throws Exception {
        // before: as a move, on the same file
        at(JarReadHook.Stage.READ, jar -> Files.write(jar, other));
        assertChanged(refused());
    }

    @Test
    void aJarReplacedByAMoveBeforeItsEntriesAreReadIsRefused() throws Exception {
        at(JarReadHook.Stage.DIGESTED, this::moveOtherOver);
        assertChanged(refused());
    }

    @Test
    void aJarRewrittenInPlaceBeforeItsEntriesAreReadIsRefused() throws Exception {
        at(JarReadHook.Stage.DIGESTED, jar -> Files.write(jar, other));
        assertChanged(refused());
    }

    @Test
    void aJarRewrittenWhileItIsDigestedIsRefused() throws Exception {
        boolean[] once = {false};
        at(JarReadHook.Stage.DIGESTING, jar -> {
            if (!once[0]) {
                once[0] = true;
                Files.write(jar, other);
            }
        });
        assertChanged(refused());
    }

    @Test
    void aJarGoneBeforeItIsOpenedIsRefusedNamingIt() throws Exception {
        at(JarReadHook.Stage.OPENING, Files::delete);
        assertGone(refused());
    }

    @Test
    void aJarGoneBetweenItsDigestAndItsEntriesIsRefusedNamingIt() throws Exception {
        // the ZipFile's open fails: before, no test reached this refusal
        at(JarReadHook.Stage.DIGESTED, Files::delete);
        assertGone(refused());
    }

    @Test
    void aJarGoneBeforeItsDigestIsConfirmedIsRefusedNamingIt() throws Exception {
        at(JarReadHook.Stage.READ, Files::delete);
        assertGone(refused());
    }

    @Test
    void aJarWhoseDigestFailsIsRefusedNamingIt() throws Exception {
        // as root every file reads: what a read of a failing disk reports
        at(JarReadHook.Stage.DIGESTING, jar -> {
            throw new IOException("Input/output error");
        });
        assertEquals("cannot read the build " + newJar + ": " + newJar + " cannot be read (Input/output error): check"
                + " that it is there and readable, and that nothing changes the build while jlivepatch reads it; then"
                + " retry", refused().getMessage());
    }

    // ------------------------------------------------------------------------------------------------

    private interface Change {
        void on(Path jar) throws IOException;
    }

    /** Does {@code change} to the new build's JAR at {@code stage}. */
    private void at(JarReadHook.Stage stage, Change change) {
        JarReadHook.set((s, jar) -> {
            if (s == stage && jar.equals(newJar)) {
                change.on(jar);
            }
        });
    }

    private void moveOtherOver(Path jar) throws IOException {
        Path next = Files.write(dir.resolve("next.jar"), other);
        Files.move(next, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Refused, in one clean line, before anything is written: an earlier patch there stays as it was. */
    private IOException refused() throws IOException {
        Path out = Files.write(Files.createDirectories(dir.resolve("out")).resolve("fix.jar"), EARLIER);
        IOException e = assertThrows(IOException.class, () -> PatchBuild.compare(oldJar, newJar).name("fix")
                .writeTo(out));
        MutatedBuildInputTest.assertCleanRefusal("the case", e);
        assertArrayEquals(EARLIER, Files.readAllBytes(out));
        try (Stream<Path> left = Files.list(out.getParent())) {
            assertEquals(List.of(out), left.toList(), "a leftover beside it");
        }
        return e;
    }

    private void assertChanged(IOException e) {
        assertEquals("cannot read the build " + newJar + ": " + newJar + " changed while jlivepatch read it: its"
                + " classes and the SHA-256 the patch records would not be of one file; build again once nothing"
                + " writes it", e.getMessage());
    }

    private void assertGone(IOException e) {
        assertEquals("cannot read the build " + newJar + ": " + newJar + " cannot be read (it is gone: removed while"
                + " it was read?): check that it is there and readable, and that nothing changes the build while"
                + " jlivepatch reads it; then retry", e.getMessage());
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
