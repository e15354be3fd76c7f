package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The attach API's trigger file after a command gave up attaching: deleted once the JVM's listener runs
 * (its socket is there: the JVM reads the file no more), else kept and named, as a JVM with the signal
 * still to handle that finds no file prints a thread dump into the application's output. The
 * directories stand for /proc/pid/cwd and /proc/pid/root/tmp.
 */
class AttachTriggerTest {

    @TempDir
    Path dir;

    @Test
    void aTriggerTheJvmMayStillReadIsKeptAndNamedWithWhenItMayGo() throws Exception {
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path trigger = Files.createFile(cwd.resolve(".attach_pid42"));
        assertEquals("the attach left " + trigger.toRealPath() + ", which the JVM looks for when it answers the attach's"
                + " signal: the next command that reaches the JVM deletes it, or delete it yourself once the JVM answers"
                + " again (" + tmp.toRealPath().resolve(".java_pid42") + " exists), not before: a JVM that handles that"
                + " signal and finds no such file prints a thread dump into the application's standard output",
                AttachTrigger.afterTimeout(cwd, tmp, 42));
        assertTrue(Files.exists(trigger));

        Files.delete(trigger); // the working directory not writable: the attach API's in /tmp
        Path inTmp = Files.createFile(tmp.resolve(".attach_pid42"));
        assertTrue(AttachTrigger.afterTimeout(cwd, tmp, 42).startsWith("the attach left " + inTmp.toRealPath() + ", "));
        assertTrue(Files.exists(inTmp));
        assertNull(AttachTrigger.afterTimeout(cwd, tmp, 43), "another pid's: none left");
    }

    @Test
    void aTriggerTheJvmReadsNoMoreIsDeleted() throws Exception {
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path trigger = Files.createFile(cwd.resolve(".attach_pid42"));
        Path inTmp = Files.createFile(tmp.resolve(".attach_pid42"));
        Files.createFile(tmp.resolve(".java_pid42")); // its listener runs
        assertNull(AttachTrigger.afterTimeout(cwd, tmp, 42));
        assertFalse(Files.exists(trigger));
        assertFalse(Files.exists(inTmp));
    }

    @Test
    void nothingButARegularFileIsDeleted() throws Exception {
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path target = Files.createFile(dir.resolve("not-the-trigger"));
        Path link = Files.createSymbolicLink(cwd.resolve(".attach_pid42"), target);
        Files.createDirectories(tmp.resolve(".attach_pid42"));
        assertNull(AttachTrigger.afterTimeout(cwd, tmp, 42), "none the attach API made");
        Files.createFile(tmp.resolve(".java_pid42"));
        assertNull(AttachTrigger.afterTimeout(cwd, tmp, 42));
        assertTrue(Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.exists(target)
                && Files.isDirectory(tmp.resolve(".attach_pid42")));
    }
}
