package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Reading who this command runs as, from /proc, for the other-user check. */
class JvmProcessTest {

    /**
     * The command's own uid is read from its own /proc directory, not from the /proc/self link, whose
     * owner (read without following it) is root: every user then read as root, and a JVM of another user
     * was refused as "cannot be inspected (/proc/N/maps)" instead of "runs as another user (uid N): run
     * jlivepatch as that user" (seen running the command as an unprivileged user against root's JVM).
     */
    @Test
    void theOwnUidIsReadFromTheOwnProcDirectoryNotTheSelfLink() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "a /proc file system");
        Path self = JvmProcess.selfDir();
        assertFalse(Files.isSymbolicLink(self), self + " is a link: its owner is not the process's");
        assertTrue(Files.isDirectory(self, LinkOption.NOFOLLOW_LINKS), self.toString());
        assertEquals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"),
                Files.getAttribute(self, "unix:uid", LinkOption.NOFOLLOW_LINKS));
    }

    /**
     * A JVM of another user is refused with that user's name, not only the uid, and what to do: run the
     * command as that user (an operator's trial: "uid 1001" sent them to /etc/passwd first).
     */
    @Test
    void anotherUsersJvmIsRefusedWithTheUsersNameAndTheSudoToRunAsThem() {
        assertEquals("pid 4242 (java -jar app.jar) runs as another user, 'alice' (uid 1001): run jlivepatch as that"
                + " user (sudo -u alice ...)", JvmProcess.otherUser(4242, "java -jar app.jar", 1001, "alice"));
    }

    /** A uid without a name (no entry in the user database, a container's user): the uid alone, and sudo's #uid. */
    @Test
    void aUidWithoutANameIsRefusedWithTheUidAlone() {
        assertEquals("pid 4242 (java -jar app.jar) runs as another user (uid 1001): run jlivepatch as that user"
                + " (sudo -u '#1001' ...)", JvmProcess.otherUser(4242, "java -jar app.jar", 1001, null));
        // the JDK's principal of such a uid is named by its number: no name is known then
        assertEquals(null, JvmProcess.knownName("1001", 1001));
        assertEquals(null, JvmProcess.knownName(null, 1001));
        assertEquals("alice", JvmProcess.knownName("alice", 1001));
    }

    /** The name is read from the owner of the process's /proc directory, as the uid is. */
    @Test
    void theOwnersNameIsReadFromTheProcDirectory() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "a /proc file system");
        Path self = JvmProcess.selfDir();
        Object uid = Files.getAttribute(self, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        String expected = JvmProcess.knownName(Files.getOwner(self).getName(), uid);
        assumeTrue(expected != null, "this user has a name");
        assertEquals(System.getProperty("user.name"), JvmProcess.ownerName(self, uid));
    }

    /**
     * Files of options the JVM's command line names are read in its working directory (a relative
     * name) or file system (an absolute one); a name that is not a regular file (an application's
     * argument naming a pipe) is passed over unread, so that it cannot hold the command.
     */
    @Test
    void optionFilesAreReadFromTheJvmsDirectoryAndAPipeIsNotOpened(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path proc = Files.createDirectories(dir.resolve("proc"));
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Files.createSymbolicLink(proc.resolve("cwd"), cwd);
        Files.createSymbolicLink(proc.resolve("root"), Path.of("/"));
        Files.writeString(cwd.resolve("app.args"), "-Xmx1g\n-XX:+DisableAttachMechanism\n");
        Path absolute = Files.writeString(dir.resolve("vm.options"), "-XX:+DisableAttachMechanism");
        Path fifo = dir.resolve("pipe");
        assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");
        String option = "-XX:+DisableAttachMechanism";

        Files.writeString(proc.resolve("cmdline"), "java\0@" + fifo + "\0@app.args\0Main\0");
        assertEquals("app.args", JvmProcess.optionFileDeclaring(proc, option));
        Files.writeString(proc.resolve("cmdline"), "java\0-XX:VMOptionsFile=" + absolute + "\0Main\0");
        assertEquals(absolute.toString(), JvmProcess.optionFileDeclaring(proc, option));
        Files.writeString(proc.resolve("cmdline"), "java\0-XX:Flags=" + fifo + "\0@\0Main\0@missing\0");
        assertEquals(null, JvmProcess.optionFileDeclaring(proc, option));
    }
}
