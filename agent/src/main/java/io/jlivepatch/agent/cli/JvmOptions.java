package io.jlivepatch.agent.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The options a JVM read at its start, read again from {@code /proc} as it read them, for the
 * setting the command must know before it attaches (whether attaching was disabled) and the one that
 * says why the JDK's list of JVMs leaves a JVM out (no performance data file).
 */
final class JvmOptions {

    private JvmOptions() {
    }

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
        return setBy(settings(proc, started), proc, started, "DisableAttachMechanism", true);
    }

    /**
     * Where the JVM of {@code proc} was left without a performance data file, which the JDK's list of
     * JVMs is read from: {@code -XX:-UsePerfData} (no data) or {@code -XX:+PerfDisableSharedMem} (none in
     * a file), with {@code " (in <file>)"} when a file of options set it; null when neither, or not known.
     * Read as {@link #attachingDisabledBy} reads its option.
     */
    static String noPerfDataFileBy(Path proc, java.time.Instant started) {
        List<Setting> order = settings(proc, started);
        String by = setBy(order, proc, started, "UsePerfData", false);
        String option = "-XX:-UsePerfData";
        if (by == null) {
            by = setBy(order, proc, started, "PerfDisableSharedMem", true);
            option = "-XX:+PerfDisableSharedMem";
        }
        return by == null ? null : option + (by.isEmpty() ? "" : " (in " + by + ")");
    }

    /** The options the JVM of {@code proc} read, in its order (the -XX:Flags= file aside, which {@link #setBy} reads). */
    private static List<Setting> settings(Path proc, java.time.Instant started) {
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
        return order;
    }

    /**
     * Where the boolean option {@code -XX:±flag} was left {@code on} by {@code order} and the -XX:Flags=
     * file it names: {@code ""} by the command line or environment, else the file of options; null when
     * it was left otherwise, or that is not known.
     */
    private static String setBy(List<Setting> order, Path proc, java.time.Instant started, String flag, boolean on) {
        String set = (on ? "+" : "-") + flag;
        String unset = (on ? "-" : "+") + flag;
        // HotSpot reads the -XX:Flags= file (the last one named) before all else; its lines are +Name / -Name
        Boolean left = null;
        String by = null;
        for (int i = order.size() - 1; i >= 0; i--) {
            String flags = order.get(i).flagsFile();
            if (flags != null) {
                OptionFile file = OptionFile.read(proc, flags, started);
                for (String token : file.unknown() ? List.of(Setting.UNKNOWN) : OptionTokens.flagsFile(file.text())) {
                    if (token.equals(Setting.UNKNOWN)) {
                        left = null;
                    } else if (token.equals(set)) {
                        left = Boolean.TRUE;
                    } else if (token.equals(unset)) {
                        left = Boolean.FALSE;
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
                left = null;
            } else if (s.token().equals("-XX:" + set)) {
                left = Boolean.TRUE;
            } else if (s.token().equals("-XX:" + unset)) {
                left = Boolean.FALSE;
            } else {
                continue;
            }
            by = s.file();
        }
        return Boolean.TRUE.equals(left) ? (by == null ? "" : by) : null;
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

    /** Whether the java launcher takes the argument after {@code arg} as its value ({@code -cp <path>}). */
    static boolean takesValue(String arg) {
        return LauncherWalk.WITH_VALUE.contains(arg);
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

    /**
     * The launcher's argument file {@code name} of the JVM of {@code proc} ({@code java @name}), read as
     * for its options: in the JVM's file system and working directory, a regular file of at most a
     * megabyte that this user may read, not written since the JVM started; null when it cannot be
     * known so (the launcher read what it held then).
     */
    static String argumentFile(Path proc, String name, java.time.Instant started) {
        return OptionFile.read(proc, name, started).text();
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
}
