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
import java.util.List;
import java.util.Map;

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
        String in = attachingDisabledBy(proc, ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).orElse(null));
        if (in != null) {
            throw new Refused("pid " + pid + " (" + commandOf(proc) + ") runs with " + DISABLED + (in.isEmpty() ? ""
                    : " (in " + Text.clean(in) + ")") + ": no tool can attach to it; restart it without that option, or"
                    + " with -javaagent:jlivepatch-agent.jar");
        }
    }

    private static final String DISABLED = "-XX:+DisableAttachMechanism";

    /** More than any file of JVM options holds; a longer one is not known to say what the JVM read. */
    private static final int OPTION_FILE_BYTES = 1 << 20;

    /**
     * How long after the JVM's start (known to about a second: the kernel's boot time is in seconds) a
     * file of options may have been written and still be taken for the one the JVM read.
     */
    private static final java.time.Duration START_SLACK = java.time.Duration.ofSeconds(2);

    /**
     * Where the JVM of {@code proc} was left with attaching disabled, or null when it was not, or that is
     * not known: {@code ""} when by its command line or environment, else the file of options (as its
     * command line names it) whose setting was the last. The JVM's own order is followed, the last
     * setting winning ({@code -XX:-DisableAttachMechanism} after a {@code +} allows attaching): the
     * {@code -XX:Flags=} file, JAVA_TOOL_OPTIONS, the launcher's JDK_JAVA_OPTIONS and command line with
     * its argument files ({@code java @file}) and {@code -XX:VMOptionsFile=} read in place, then
     * _JAVA_OPTIONS; each file as that reader splits it (an argument file's comments and quotes, say).
     * A file is read in the JVM's file system and working directory, a regular file only (an argument
     * naming a pipe must not hold the command); one that cannot be read, is too long or was written
     * since the JVM started ({@code started}, null when not known) leaves the setting unknown until a
     * later one: a refusal must not rest on a guess (the attach API says what it finds).
     */
    static String attachingDisabledBy(Path proc, java.time.Instant started) {
        List<Setting> order = new java.util.ArrayList<>();
        Map<String, String> env = environment(proc);
        Setting.addAll(order, OptionTokens.vmOptions(env.getOrDefault("JAVA_TOOL_OPTIONS", "")), null);
        List<String> launcher = new java.util.ArrayList<>(OptionTokens.vmOptions(env.getOrDefault("JDK_JAVA_OPTIONS", "")));
        String cmdline;
        try {
            cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.ISO_8859_1);
        } catch (IOException | SecurityException e) {
            cmdline = "";
        }
        List<String> argv = List.of(cmdline.split("\0"));
        launcher.addAll(argv.subList(Math.min(1, argv.size()), argv.size()));
        LauncherWalk walk = new LauncherWalk(order, proc, started);
        for (String arg : launcher) {
            if (arg.equals("--disable-@files")) {
                walk.argFiles = false;
            }
            if (walk.argFiles && !walk.applications() && arg.startsWith("@") && !arg.startsWith("@@") && arg.length() > 1) {
                String name = arg.substring(1);
                OptionFile file = OptionFile.read(proc, name, started);
                if (file.unknown()) {
                    order.add(new Setting(Setting.UNKNOWN, name));
                } else {
                    for (String inFile : OptionTokens.argumentFile(file.text())) {
                        walk.next(inFile, name);
                    }
                }
            } else {
                walk.next(arg.startsWith("@@") && !walk.applications() ? arg.substring(1) : arg, null);
            }
        }
        Setting.addAll(order, OptionTokens.vmOptions(env.getOrDefault("_JAVA_OPTIONS", "")), null);

        // HotSpot reads the -XX:Flags= file (the last one named) before all else; its lines are +Name / -Name
        Boolean disabled = null;
        String by = null;
        for (int i = order.size() - 1; i >= 0; i--) {
            String flags = order.get(i).flagsFile();
            if (flags != null) {
                OptionFile file = OptionFile.read(proc, flags, started);
                for (String token : file.unknown() ? List.of(Setting.UNKNOWN) : OptionTokens.flagsFile(file.text())) {
                    if (token.equals(Setting.UNKNOWN)) {
                        disabled = null;
                    } else if (token.equals("+DisableAttachMechanism")) {
                        disabled = Boolean.TRUE;
                    } else if (token.equals("-DisableAttachMechanism")) {
                        disabled = Boolean.FALSE;
                    } else {
                        continue;
                    }
                    by = flags;
                }
                break;
            }
        }
        for (Setting s : order) {
            if (s.token().equals(Setting.UNKNOWN)) {
                disabled = null;
            } else if (s.token().equals(DISABLED)) {
                disabled = Boolean.TRUE;
            } else if (s.token().equals("-XX:-DisableAttachMechanism")) {
                disabled = Boolean.FALSE;
            } else {
                continue;
            }
            by = s.file();
        }
        return Boolean.TRUE.equals(disabled) ? (by == null ? "" : by) : null;
    }

    /** One argument the JVM read, at its place, and the file it was read from (null for its command line or environment). */
    private record Setting(String token, String file) {

        /** A setting that cannot be known: a file of options that cannot be read as the JVM read it. */
        static final String UNKNOWN = "\0unknown";

        static void addAll(List<Setting> to, List<String> tokens, String file) {
            for (String t : tokens) {
                to.add(new Setting(t, file));
            }
        }

        /** The -XX:Flags= file this argument names, or null. */
        String flagsFile() {
            return token.startsWith("-XX:Flags=") && token.length() > "-XX:Flags=".length()
                    ? token.substring("-XX:Flags=".length()) : null;
        }
    }

    /**
     * The java launcher's arguments in order, the JVM's options among them given to {@link
     * #addVmArgument}, until its main class ({@code -jar}'s, {@code -m}'s): what follows is the
     * application's (an {@code -XX:+DisableAttachMechanism} or an {@code @file} there is its own, and
     * the launcher neither reads nor expands it).
     */
    private static final class LauncherWalk {

        /** The launcher's options that take the next argument as their value. */
        private static final java.util.Set<String> WITH_VALUE = java.util.Set.of("-cp", "-classpath", "--class-path",
                "-p", "--module-path", "--upgrade-module-path", "--add-modules", "--enable-native-access",
                "--limit-modules", "--add-exports", "--add-opens", "--add-reads", "--patch-module", "--source",
                "--describe-module", "-d");

        private final List<Setting> order;
        private final Path proc;
        private final java.time.Instant started;
        boolean argFiles = true;
        /** 0: options; 1: an option's value next; 2: the main JAR or module next; 3: the application's arguments. */
        private int state;

        LauncherWalk(List<Setting> order, Path proc, java.time.Instant started) {
            this.order = order;
            this.proc = proc;
            this.started = started;
        }

        boolean applications() {
            return state == 3;
        }

        void next(String arg, String from) {
            if (state == 1 || state == 2) {
                state = state == 1 ? 0 : 3;
            } else if (state == 0) {
                if (WITH_VALUE.contains(arg)) {
                    state = 1;
                } else if (arg.equals("-jar") || arg.equals("-m") || arg.equals("--module")) {
                    state = 2;
                } else if (arg.startsWith("--module=") || !arg.startsWith("-")) {
                    state = 3; // the main module or class
                } else {
                    addVmArgument(order, proc, arg, from, started);
                }
            }
        }
    }

    /** {@code arg} as HotSpot takes it from the launcher: a -XX:VMOptionsFile= is read in its place. */
    private static void addVmArgument(List<Setting> order, Path proc, String arg, String from, java.time.Instant started) {
        String prefix = "-XX:VMOptionsFile=";
        if (!arg.startsWith(prefix) || arg.length() == prefix.length()) {
            order.add(new Setting(arg, from));
            return;
        }
        String name = arg.substring(prefix.length());
        OptionFile file = OptionFile.read(proc, name, started);
        if (file.unknown()) {
            order.add(new Setting(Setting.UNKNOWN, name));
        } else {
            Setting.addAll(order, OptionTokens.vmOptions(file.text()), name);
        }
    }

    /**
     * A file of options as it is now, or unknown (null text): it cannot be read, is too long, or was
     * written since the JVM started. A name at no regular file (an application's argument, a pipe)
     * reads as empty: the JVM started, so a file of its options was there; it says nothing now.
     */
    private record OptionFile(String text) {

        boolean unknown() {
            return text == null;
        }

        static OptionFile read(Path proc, String name, java.time.Instant started) {
            // its links followed in the JVM's file system, as the JVM followed them
            Path file = InRoot.resolve(proc.resolve("root"), proc.resolve("cwd"), name);
            if (file == null) {
                return new OptionFile(null);
            }
            try {
                if (!Files.isRegularFile(file)) {
                    return new OptionFile("");
                }
                if (started != null && Files.getLastModifiedTime(file).toInstant().isAfter(started.plus(START_SLACK))) {
                    return new OptionFile(null); // not what the JVM read
                }
                try (java.io.InputStream in = Files.newInputStream(file)) {
                    byte[] b = in.readNBytes(OPTION_FILE_BYTES + 1);
                    return new OptionFile(b.length > OPTION_FILE_BYTES ? null : new String(b, StandardCharsets.ISO_8859_1));
                }
            } catch (IOException | SecurityException | java.nio.file.InvalidPathException e) {
                return new OptionFile(null);
            }
        }
    }

    /** The environment the JVM started with, as /proc shows it; empty when it cannot be read. */
    private static Map<String, String> environment(Path proc) {
        Map<String, String> env = new java.util.HashMap<>();
        try {
            for (String entry : new String(Files.readAllBytes(proc.resolve("environ")), StandardCharsets.ISO_8859_1)
                    .split("\0")) {
                int eq = entry.indexOf('=');
                if (eq > 0) {
                    env.put(entry.substring(0, eq), entry.substring(eq + 1));
                }
            }
        } catch (IOException | SecurityException e) {
            // nothing known from it
        }
        return env;
    }

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
