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
}
