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

/**
 * The JVMs of this user that the attach API's list leaves out, found in {@code /proc}: that list
 * holds only JVMs that publish performance data and allow attaching, so a service started with
 * {@code -XX:+DisableAttachMechanism} (or {@code -XX:-UsePerfData}) was missing from {@code jlivepatch
 * list} altogether, though {@code load} then names it and says what to do.
 */
final class UnlistedJvms {

    private static final Path PROC = Paths.get("/proc");

    /** One such JVM: its pid, its main class and arguments as the JDK's list shows them, and what disables its attaching. */
    record Jvm(long pid, String displayName, String attachingDisabledBy) {

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
            String disabled = JvmOptions.attachingDisabledBy(proc,
                    ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).orElse(null));
            found.add(new Jvm(pid, displayName(arguments(proc)), disabled));
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
     * JAR, and what follows it, from the launcher's command line {@code argv}; {@code ""} when it does not
     * say (an argument file holds the rest, or no main class is named).
     */
    static String displayName(List<String> argv) {
        boolean value = false;
        for (int i = 1; i < argv.size(); i++) {
            String arg = argv.get(i);
            if (value) {
                value = false;
            } else if (arg.startsWith("@")) {
                return ""; // the launcher reads the rest from that file
            } else if (arg.equals("-jar") || arg.equals("-m") || arg.equals("--module")) {
                return i + 1 < argv.size() ? String.join(" ", argv.subList(i + 1, argv.size())) : "";
            } else if (JvmOptions.takesValue(arg)) {
                value = true;
            } else if (arg.startsWith("--module=")) {
                return String.join(" ", argv.subList(i, argv.size())).substring("--module=".length());
            } else if (!arg.startsWith("-")) {
                return String.join(" ", argv.subList(i, argv.size()));
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
