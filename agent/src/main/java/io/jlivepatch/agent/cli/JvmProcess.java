package io.jlivepatch.agent.cli;

import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import io.jlivepatch.internal.Text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Checks that a pid names a JVM this user may attach to, before the attach API is used: on Linux the
 * attach API signals a process it does not find listening ({@code SIGQUIT}), which ends a process
 * that is not a JVM, and waits up to its own timeout for an answer that never comes. Read from
 * {@code /proc} where there is one, so that the answer takes milliseconds.
 */
final class JvmProcess {

    private static final Path PROC = Paths.get("/proc");

    private JvmProcess() {
    }

    /** @throws Refused naming what the pid is instead, and what to do */
    static void check(long pid) throws Refused {
        if (pid == ProcessHandle.current().pid()) {
            throw new Refused("pid " + pid + " is this jlivepatch command itself: give the pid of the application JVM");
        }
        if (pid <= 0 || ProcessHandle.of(pid).isEmpty()) {
            throw new Refused("no process with pid " + pid + ": 'jlivepatch list' shows the local JVMs");
        }
        Path proc = PROC.resolve(Long.toString(pid));
        if (!Files.isDirectory(PROC.resolve("self"))) {
            checkListed(pid); // no /proc: the JDK's own list of JVMs
            return;
        }
        Object owner = attribute(proc, "unix:uid");
        Object self = attribute(selfDir(), "unix:uid");
        if (owner != null && self != null && !owner.equals(self) && !self.equals(0)) {
            throw new Refused(otherUser(pid, commandOf(proc), owner, ownerName(proc, owner)));
        }
        String maps;
        try {
            maps = Files.readString(proc.resolve("maps"), StandardCharsets.ISO_8859_1);
        } catch (IOException | SecurityException e) {
            throw new Refused("pid " + pid + " (" + commandOf(proc) + ") cannot be inspected (" + e.getMessage()
                    + "): it must be a JVM of this user that allows attaching (not started non-dumpable)");
        }
        if (!maps.contains("/libjvm.so")) {
            throw new Refused("pid " + pid + " (" + commandOf(proc) + ") is not a JVM: 'jlivepatch list' shows the"
                    + " local JVMs");
        }
        // Such a JVM never answers the attach API's signal: without its performance data (-XX:-UsePerfData)
        // the API cannot tell, and would wait out the --timeout.
        String in = JvmOptions.attachingDisabledBy(proc,
                ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).orElse(null));
        if (in != null) {
            throw new Refused("pid " + pid + " (" + commandOf(proc) + ") runs with " + DISABLED + (in.isEmpty() ? ""
                    : " (in " + Text.clean(in) + ")") + ": no tool can attach to it; restart it without that option, or"
                    + " with -javaagent:jlivepatch-agent.jar");
        }
    }

    static final String DISABLED = "-XX:+DisableAttachMechanism";

    /**
     * The refusal for a JVM of another user: its name where one is known, so that the operator can
     * run the command as that user at once ({@code sudo -u} takes {@code #uid} when no name is known).
     *
     * @param name the user's name, or null when none is known ({@link #knownName})
     */
    static String otherUser(long pid, String command, Object uid, String name) {
        String user = name == null ? "" : ", '" + Text.clean(name) + "'";
        String sudo = name == null ? "'#" + uid + "'" : Text.clean(name);
        return "pid " + pid + " (" + command + ") runs as another user" + user + " (uid " + uid + "): run jlivepatch"
                + " as that user (sudo -u " + sudo + " ...)";
    }

    /** The name of the user owning {@code proc} (uid {@code uid}), or null when none is known. */
    static String ownerName(Path proc, Object uid) {
        try {
            return knownName(Files.getOwner(proc, LinkOption.NOFOLLOW_LINKS).getName(), uid);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    /**
     * {@code principal}, a user principal's name, unless it says no more than the uid: the JDK names a
     * uid without an entry in the user database by its number.
     */
    static String knownName(String principal, Object uid) {
        return principal == null || principal.isBlank() || principal.equals(String.valueOf(uid)) ? null : principal;
    }

    /**
     * This command's own {@code /proc} directory, by its pid: {@code /proc/self} is a symbolic link owned
     * by root, and its owner read without following it (as every {@code /proc} attribute here is) made
     * every user read as root, so that the other-user check above never refused and a JVM of another user
     * got "cannot be inspected" instead of "runs as another user".
     */
    static Path selfDir() {
        return PROC.resolve(Long.toString(ProcessHandle.current().pid()));
    }

    private static void checkListed(long pid) throws Refused {
        for (VirtualMachineDescriptor d : VirtualMachine.list()) {
            if (d.id().equals(Long.toString(pid))) {
                return;
            }
        }
        throw new Refused("pid " + pid + " is not a JVM this user can attach to: 'jlivepatch list' shows them");
    }

    private static Object attribute(Path p, String name) {
        try {
            return Files.getAttribute(p, name, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return null;
        }
    }

    /** The process's command line, short and clean, for messages. */
    private static String commandOf(Path proc) {
        try {
            byte[] b = Files.readAllBytes(proc.resolve("cmdline"));
            String cmd = new String(b, StandardCharsets.UTF_8).replace('\0', ' ').trim();
            return cmd.isEmpty() ? "no command line" : Text.clean(Text.truncate(cmd, 120));
        } catch (IOException | SecurityException e) {
            return "command line not readable";
        }
    }
}
