package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PrivateTempDirTest {

    private static final String USER = System.getProperty("user.name");

    @TempDir
    Path base;

    @Test
    void theDirectoryIsCreatedForItsOwnerOnly() throws IOException {
        Path dir = PrivateTempDir.open(base, USER);
        assertEquals(base.resolve("jlivepatch-" + PrivateTempDir.fileNameOf(USER)), dir);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals(dir, PrivateTempDir.open(base, USER), "found and accepted the second time");
    }

    @Test
    void aSymbolicLinkIsRefused() throws IOException {
        Path elsewhere = Files.createDirectory(base.resolve("elsewhere"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.createSymbolicLink(base.resolve("jlivepatch-" + PrivateTempDir.fileNameOf(USER)), elsewhere);
        IOException e = assertThrows(IOException.class, () -> PrivateTempDir.open(base, USER));
        assertTrue(e.getMessage().contains("is a symbolic link") && e.getMessage().contains("-Djava.io.tmpdir"),
                e.getMessage());
    }

    @Test
    void aFileInItsPlaceIsRefused() throws IOException {
        Files.writeString(base.resolve("jlivepatch-" + PrivateTempDir.fileNameOf(USER)), "squatter");
        IOException e = assertThrows(IOException.class, () -> PrivateTempDir.open(base, USER));
        assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    }

    @Test
    void aDirectoryOthersCanWriteIsRefused() throws IOException {
        for (String mode : new String[] {"rwxrwx---", "rwx----wx", "rwxrwxrwx"}) {
            Path dir = base.resolve("jlivepatch-" + PrivateTempDir.fileNameOf(USER));
            Files.deleteIfExists(dir);
            Files.createDirectory(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
            IOException e = assertThrows(IOException.class, () -> PrivateTempDir.open(base, USER));
            assertTrue(e.getMessage().contains("is writable by other users (" + mode + ")")
                    && e.getMessage().contains("chmod 700"), e.getMessage());
        }
    }

    @Test
    void aDirectoryOfAnotherUserIsRefused() throws IOException {
        assumeTrue("root".equals(USER), "only root can give a directory to another user");
        Path dir = Files.createDirectory(base.resolve("jlivepatch-root"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        UserPrincipal nobody = base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.setOwner(dir, nobody);
        IOException e = assertThrows(IOException.class, () -> PrivateTempDir.open(base, "root"));
        assertTrue(e.getMessage().contains("belongs to nobody, not to the user of this JVM"), e.getMessage());
    }

    @Test
    void aUserNameIsReducedToASafeFileName() {
        assertEquals("alice", PrivateTempDir.fileNameOf("alice"));
        assertEquals("_..", PrivateTempDir.fileNameOf(".."));
        assertEquals("a_b_c", PrivateTempDir.fileNameOf("a/b\nc"));
        assertEquals("_", PrivateTempDir.fileNameOf(""));
    }

    @Test
    void filesOfEndedProcessesAreRemovedAndOthersKept() throws Exception {
        Path dir = PrivateTempDir.open(base, USER);
        Process ended = new ProcessBuilder("true").start();
        ended.waitFor();
        long self = ProcessHandle.current().pid();
        Path stale = Files.createFile(dir.resolve("jlivepatch-boot-" + ended.pid() + "-1a.jar"));
        Path own = Files.createFile(dir.resolve("jlivepatch-boot-" + self + "-2b.jar"));
        Path live = Files.createFile(dir.resolve("jlivepatch-boot-1-3c.jar")); // init: alive as long as the machine
        Path unrelated = Files.createFile(dir.resolve("jlivepatch-boot-notapid.jar"));
        Path other = Files.createFile(dir.resolve("something-" + ended.pid() + "-else.jar"));
        PrivateTempDir.removeStale(dir, BootstrapClassPath.PREFIX);
        assertFalse(Files.exists(stale), "the file of an ended process is removed");
        assertTrue(Files.exists(own) && Files.exists(live) && Files.exists(unrelated) && Files.exists(other));
    }

    @Test
    void aSocketOfAPidNotSeenHereIsKeptWhileSomethingAcceptsOnIt() throws Exception {
        // A JVM in another pid namespace sharing the directory: its pid is not seen here, its socket lives.
        Path dir = PrivateTempDir.open(base, USER);
        Process ended = new ProcessBuilder("true").start();
        ended.waitFor();
        Path live = dir.resolve("control-" + ended.pid() + "-1a.sock");
        Path dead = dir.resolve("control-" + ended.pid() + "-2b.sock");
        try (java.nio.channels.ServerSocketChannel listening = java.nio.channels.ServerSocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            listening.bind(java.net.UnixDomainSocketAddress.of(live));
            java.nio.channels.ServerSocketChannel gone = java.nio.channels.ServerSocketChannel.open(
                    java.net.StandardProtocolFamily.UNIX);
            gone.bind(java.net.UnixDomainSocketAddress.of(dead));
            gone.close(); // its file stays, with nothing behind it: what a killed JVM leaves
            PrivateTempDir.removeStale(dir, "control-");
            assertTrue(Files.exists(live), "accepted a connection: kept");
            assertFalse(Files.exists(dead), "nothing accepts: removed");
        }
    }

    @Test
    void thePidIsReadFromAFileName() {
        assertEquals(4242, PrivateTempDir.pidOf("jlivepatch-boot-4242-1f.jar", "jlivepatch-boot-"));
        assertEquals(-1, PrivateTempDir.pidOf("jlivepatch-boot-1f.jar", "jlivepatch-boot-"));
        assertEquals(-1, PrivateTempDir.pidOf("jlivepatch-boot--1f.jar", "jlivepatch-boot-"));
        assertEquals(-1, PrivateTempDir.pidOf("other-4242-1f.jar", "jlivepatch-boot-"));
    }

    @Test
    void thePidIsThisProcesses() {
        assertEquals(ProcessHandle.current().pid(), PrivateTempDir.currentPid());
    }
}
