package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * The file {@code .attach_pid<pid>} that the attach API creates, in a JVM's working directory (else in
 * its /tmp), before it signals a JVM whose attach listener has not started ({@code SIGQUIT}). HotSpot
 * looks for it when it handles that signal (AttachListener::is_init_trigger): found, it starts its
 * listener; not found, the signal is an operator's {@code kill -3}, and it prints a thread dump into
 * the application's standard output. Once the listener runs the file is never read again.
 * <p>
 * The attach API deletes it when its wait ends, whatever the outcome, but a command that gives up at
 * its --timeout first exits before that wait ends, and the file stayed for good. It may not simply go
 * then: a JVM that is stopped ({@code kill -STOP}) or behind has the signal still to handle, and
 * finding no file it would print the thread dump (as jcmd's own deletion does to a stopped JVM). So
 * it goes only once the JVM's listener runs (its socket {@code /tmp/.java_pid<pid>} is there), and is
 * otherwise named to the operator.
 */
final class AttachTrigger {

    private AttachTrigger() {
    }

    /**
     * After an attach to {@code pid} gave up: deletes the trigger if the JVM no longer reads it, else
     * says where it is and when it may go, for the timeout's message; null when none is left.
     */
    static String afterTimeout(long pid) {
        Path proc = Paths.get("/proc", Long.toString(pid));
        if (!Files.isDirectory(proc)) {
            return null; // no /proc: nothing known
        }
        return afterTimeout(proc.resolve("cwd"), proc.resolve("root").resolve("tmp"), namespacePid(proc, pid));
    }

    /**
     * {@link #afterTimeout(long)} of a JVM whose working directory and /tmp are seen here as {@code cwd}
     * and {@code tmp}, its pid in its own namespace {@code nsPid} (the name the files carry).
     */
    static String afterTimeout(Path cwd, Path tmp, long nsPid) {
        if (removeIfRead(cwd, tmp, nsPid)) {
            return null;
        }
        for (Path trigger : triggers(cwd, tmp, nsPid)) {
            if (isFile(trigger)) {
                return "the attach left " + Text.clean(shown(trigger)) + ", which the JVM looks for when it answers the"
                        + " attach's signal: the next command that reaches the JVM deletes it, or delete it yourself once"
                        + " the JVM answers again (" + Text.clean(shown(tmp.resolve(".java_pid" + nsPid))) + " exists), not"
                        + " before: a JVM that handles that signal and finds no such file prints a thread dump into the"
                        + " application's standard output";
            }
        }
        return null;
    }

    /** After an attach to {@code pid} worked: deletes a trigger an earlier command left, which the JVM reads no more. */
    static void removeStale(long pid) {
        Path proc = Paths.get("/proc", Long.toString(pid));
        if (Files.isDirectory(proc)) {
            removeIfRead(proc.resolve("cwd"), proc.resolve("root").resolve("tmp"), namespacePid(proc, pid));
        }
    }

    /**
     * Deletes the triggers when the JVM's listener runs: it read the file (or never needed it) and
     * reads it no more, and a signal still to handle finds the listener and prints nothing.
     *
     * @return whether the listener runs
     */
    private static boolean removeIfRead(Path cwd, Path tmp, long nsPid) {
        if (!Files.exists(tmp.resolve(".java_pid" + nsPid), LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        for (Path trigger : triggers(cwd, tmp, nsPid)) {
            if (isFile(trigger)) {
                try {
                    Files.deleteIfExists(trigger);
                } catch (IOException | SecurityException e) {
                    // left as it was: the JVM reads it no more
                }
            }
        }
        return true;
    }

    /** Where the attach API creates the trigger (VirtualMachineImpl.createAttachFile), in that order. */
    private static List<Path> triggers(Path cwd, Path tmp, long nsPid) {
        String name = ".attach_pid" + nsPid;
        return List.of(cwd.resolve(name), tmp.resolve(name));
    }

    /** A regular file, as the attach API creates it: nothing else is this command's to delete. */
    private static boolean isFile(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile();
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /**
     * {@code p} as the operator finds it: its directory's link in /proc followed ({@code /proc/4242/cwd}
     * is the JVM's working directory), or as it is when it cannot be.
     */
    private static String shown(Path p) {
        try {
            Path dir = p.getParent();
            return dir.toRealPath().resolve(p.getFileName()).toString();
        } catch (IOException | SecurityException e) {
            return p.toString();
        }
    }

    /** The JVM's pid in its own pid namespace (the last of NSpid in its status), which names the files. */
    private static long namespacePid(Path proc, long pid) {
        try {
            for (String line : Files.readAllLines(proc.resolve("status"), StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("NSpid:")) {
                    String[] ids = line.substring("NSpid:".length()).trim().split("\\s+");
                    return Long.parseLong(ids[ids.length - 1]);
                }
            }
        } catch (IOException | SecurityException | NumberFormatException e) {
            // as the attach API: the pid itself
        }
        return pid;
    }
}
