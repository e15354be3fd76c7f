package io.jlivepatch.agent.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The JVMs of this user that the attach API's list leaves out, found in {@code /proc}: that list
 * holds only JVMs that publish performance data and allow attaching, so a service started with
 * {@code -XX:+DisableAttachMechanism} (or {@code -XX:-UsePerfData}) was missing from {@code jlivepatch
 * list} altogether, though {@code load} then names it and says what to do.
 */
final class UnlistedJvms {

    private static final Path PROC = Paths.get("/proc");

    /** How a display name begins that says only where the main class is: {@code "(in @app.args)"}. */
    static final String IN_FILE = "(in @";

    /**
     * One such JVM: its pid, its main class and arguments as the JDK's list shows them, what disables its
     * attaching, and for one that allows it, the option that leaves it without a performance data file
     * (why the JDK's list leaves it out; {@link JvmOptions#noPerfDataFileBy}), null when none is known.
     */
    record Jvm(long pid, String displayName, String attachingDisabledBy, String noPerfDataFileBy) {

        boolean attachable() {
            return attachingDisabledBy == null;
        }
    }

    private UnlistedJvms() {
    }

    /**
     * This user's JVMs in {@code /proc} whose pid is not in {@code listed} (nor this command's own), in
     * pid order; none where there is no {@code /proc}.
     */
    static List<Jvm> besides(Set<String> listed) {
        List<Jvm> found = new ArrayList<>();
        if (!Files.isDirectory(PROC.resolve("self"))) {
            return found;
        }
        Object self = uid(JvmProcess.selfDir());
        long own = ProcessHandle.current().pid();
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> all = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path p : all) {
                String name = p.getFileName().toString();
                if (name.matches("[0-9]{1,18}") && !listed.contains(name) && Long.parseLong(name) != own) {
                    pids.add(Long.parseLong(name));
                }
            }
        } catch (IOException | SecurityException e) {
            return found;
        }
        pids.sort(null);
        for (long pid : pids) {
            Path proc = PROC.resolve(Long.toString(pid));
            // Another user's JVM is theirs to list (jlivepatch runs as that user), and its maps cannot be read anyway.
            if (self == null || !self.equals(uid(proc)) || !isJvm(proc)) {
                continue;
            }
            java.time.Instant started = ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).orElse(null);
            String disabled = JvmOptions.attachingDisabledBy(proc, started);
            found.add(new Jvm(pid, displayName(arguments(proc), name -> JvmOptions.argumentFile(proc, name, started)),
                    disabled, disabled == null ? JvmOptions.noPerfDataFileBy(proc, started) : null));
        }
        return found;
    }

    private static boolean isJvm(Path proc) {
        try {
            return Files.readString(proc.resolve("maps"), StandardCharsets.ISO_8859_1).contains("/libjvm.so");
        } catch (IOException | SecurityException e) {
            return false; // gone meanwhile, or not ours to read
        }
    }

    private static List<String> arguments(Path proc) {
        try {
            String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
            return cmdline.isEmpty() ? List.of() : List.of(cmdline.split("\0"));
        } catch (IOException | SecurityException e) {
            return List.of();
        }
    }

    /**
     * What the JDK's list shows for a JVM (its {@code sun.rt.javaCommand}): the main class, or {@code -jar}'s
     * JAR, and what follows it, from the launcher's command line {@code argv}, its argument files ({@code
     * java @file}) read as the launcher read them by {@code argumentFile} (a file's name to its text, null
     * when it cannot be known now); {@code "(in @<file>)"} when the main class is in a file that cannot be
     * read, {@code ""} when no main class is named.
     */
    static String displayName(List<String> argv, Function<String, String> argumentFile) {
        List<String> args = new ArrayList<>(argv.subList(Math.min(1, argv.size()), argv.size()));
        boolean value = false;
        boolean argFiles = true;
        int inFileUntil = 0; // args before this index came from a file: the launcher expands no @ there
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (argFiles && i >= inFileUntil && arg.startsWith("@") && !arg.startsWith("@@") && arg.length() > 1) {
                // the launcher reads it in place, before the main class (an option's value too); a file
                // names no further file
                String text = argumentFile.apply(arg.substring(1));
                if (text == null) {
                    return IN_FILE + arg.substring(1) + ")";
                }
                List<String> inFile = OptionTokens.argumentFile(text);
                args.remove(i);
                args.addAll(i, inFile);
                inFileUntil = i + inFile.size();
                i--;
            } else if (value) {
                value = false;
            } else if (arg.equals("-jar") || arg.equals("-m") || arg.equals("--module")) {
                return i + 1 < args.size() ? String.join(" ", args.subList(i + 1, args.size())) : "";
            } else if (JvmOptions.takesValue(arg)) {
                value = true;
            } else if (arg.equals("--disable-@files")) {
                argFiles = false;
            } else if (arg.startsWith("--module=")) {
                return String.join(" ", args.subList(i, args.size())).substring("--module=".length());
            } else if (!arg.startsWith("-")) {
                return String.join(" ", args.subList(i, args.size()));
            }
        }
        return "";
    }

    private static Object uid(Path p) {
        try {
            return Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return null;
        }
    }
}
