package io.jlivepatch.agent.cli;

import io.jlivepatch.agent.AgentMain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Whether a JVM can survive being attached to. The first attach makes HotSpot start its "Attach
 * Listener" thread, and a JVM that cannot create that thread (its user, its cgroup or the host at
 * its thread limit) exits. So before attaching to a JVM that has no listener yet, the limits that
 * apply to it are compared with what it already uses.
 *
 * <p>Only refusals are certain: anything that cannot be read (no /proc, permission denied, a
 * process ending while the others are counted, a malformed file) is no information, never a
 * refusal. Counts may be low (a pid namespace hides the processes of the same user outside it), so
 * a JVM may be let through that is in fact at its limit; a JVM far from its limits is never held.
 */
final class AttachHeadroom {

    /**
     * Threads that must be left after the listener's: the JVM may be creating other threads while it
     * is counted (a pool growing, a compiler thread), and the attach itself takes time, so a count
     * that leaves a single thread free is a race, not room.
     */
    static final long MARGIN = 8;

    /** As HotSpot names the thread; 15 characters, so /proc's comm holds it whole. */
    static final String LISTENER = "Attach Listener";

    // capability bits exempting a process from RLIMIT_NPROC (kernel's copy_process)
    private static final long CAP_SYS_ADMIN = 1L << 21;
    private static final long CAP_SYS_RESOURCE = 1L << 24;

    private static final String CONSEQUENCE = ": attaching would make the JVM start its attach listener,"
            + " and a JVM that cannot start it exits; free threads or raise the limit, then retry";

    private AttachHeadroom() {
    }

    /** {@link #refusal(long, Path, Path)} on this host's /proc and /sys/fs/cgroup. */
    static String refusal(long pid) {
        return refusal(pid, Path.of("/proc"), Path.of("/sys/fs/cgroup"));
    }

    /**
     * Null when attaching to {@code pid} makes it create no thread, or the thread fits within every
     * limit that could be read; else one sentence saying which limit is reached and what to do.
     */
    static String refusal(long pid, Path proc, Path cgroupRoot) {
        try {
            String descriptors = descriptorRefusal(pid, proc.resolve(Long.toString(pid)));
            if (descriptors != null) {
                return descriptors;
            }
            Optional<String> tight = tightLimit(pid, proc, cgroupRoot);
            // the listener is looked for only near a limit: a JVM has many threads to read
            if (tight.isEmpty() || hasListener(proc.resolve(Long.toString(pid)))) {
                return null;
            }
            return "pid " + pid + " has no room for another thread (" + tight.get() + ")" + CONSEQUENCE;
        } catch (RuntimeException e) {
            return null; // a check that fails in a way not foreseen must not be what holds the operator
        }
    }

    private static Optional<String> tightLimit(long pid, Path proc, Path cgroupRoot) {
        Path self = proc.resolve(Long.toString(pid));
        Optional<String> tight = cgroupLimit(self, cgroupRoot);
        if (tight.isEmpty()) {
            tight = hostLimit(proc);
        }
        if (tight.isEmpty()) {
            tight = userLimit(self, proc);
        }
        return tight;
    }

    /** Whether {@code used} leaves too little below {@code limit} for the listener and {@link #MARGIN}. */
    private static boolean full(long used, long limit) {
        return limit - used <= MARGIN;
    }

    /**
     * Descriptors below which a JVM cannot answer an attach: its listener's socket and the connection
     * take one each, and with none free HotSpot's listener waits for good (as jcmd does, the command
     * would wait out its timeout and blame a stopped JVM).
     */
    static final long MIN_FREE_DESCRIPTORS = 3;

    /** A refusal when {@code self} has fewer than {@link #MIN_FREE_DESCRIPTORS} descriptors free, else null. */
    private static String descriptorRefusal(long pid, Path self) {
        long[] use;
        try {
            use = AgentMain.fileDescriptors(self.toFile());
        } catch (IOException unreadable) {
            return null;
        }
        if (use == null || use[1] < 0) {
            return null; // no limit, or the fd directory cannot be listed (another user's process)
        }
        long free = use[0] - use[1];
        if (free >= MIN_FREE_DESCRIPTORS) {
            return null;
        }
        return "pid " + pid + " has " + Math.max(free, 0) + " of " + use[0] + " file descriptors free: it cannot answer"
                + " an attach (the JVM's attach listener would wait for one for good); free descriptors or raise its"
                + " limit (ulimit -n), then retry";
    }

    // ---- RLIMIT_NPROC: the threads of the target's real uid, over all processes

    private static Optional<String> userLimit(Path self, Path proc) {
        long limit = softNproc(self);
        List<String> status = lines(self.resolve("status"));
        long uid = realUid(status);
        // the kernel does not apply the limit to root, nor to a process holding either capability
        if (limit < 0 || uid <= 0 || exempt(status)) {
            return Optional.empty();
        }
        long threads = totalThreads(proc);
        if (threads >= 0 && !full(threads, limit)) {
            return Optional.empty(); // the user cannot run more threads than the whole host does
        }
        long used = threadsOf(uid, proc);
        if (used < 0 || !full(used, limit)) {
            return Optional.empty();
        }
        return Optional.of("its user runs " + used + " of " + limit
                + " processes/threads allowed by its limit 'Max processes'");
    }

    /** The soft "Max processes" of the target, or -1 when unlimited or unknown. */
    private static long softNproc(Path self) {
        for (String line : lines(self.resolve("limits"))) {
            if (line.startsWith("Max processes")) {
                String[] f = line.substring("Max processes".length()).trim().split("\\s+");
                return f[0].equals("unlimited") ? -1 : number(f[0]);
            }
        }
        return -1;
    }

    private static long realUid(List<String> status) {
        String uid = field(status, "Uid:");
        return uid == null ? -1 : number(uid.split("\\s+")[0]);
    }

    private static boolean exempt(List<String> status) {
        String caps = field(status, "CapEff:");
        if (caps == null) {
            return false;
        }
        try {
            long c = Long.parseUnsignedLong(caps, 16);
            return (c & (CAP_SYS_ADMIN | CAP_SYS_RESOURCE)) != 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The threads of the processes whose real uid is {@code uid}, or -1 when /proc cannot be listed. */
    private static long threadsOf(long uid, Path proc) {
        long sum = 0;
        try (DirectoryStream<Path> all = Files.newDirectoryStream(proc, p -> isPid(p.getFileName().toString()))) {
            for (Path p : all) {
                List<String> status = lines(p.resolve("status")); // empty when the process has ended
                if (realUid(status) == uid) {
                    sum += Math.max(0, number(field(status, "Threads:")));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return sum;
    }

    private static boolean isPid(String name) {
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }

    // ---- kernel.threads-max: every thread of the host

    private static Optional<String> hostLimit(Path proc) {
        long limit = number(first(proc.resolve("sys/kernel/threads-max")));
        long used = totalThreads(proc);
        if (limit < 0 || used < 0 || !full(used, limit)) {
            return Optional.empty();
        }
        return Optional.of("the host runs " + used + " of " + limit
                + " threads allowed by /proc/sys/kernel/threads-max");
    }

    /**
     * The host's thread count, from /proc/loadavg's "running/total" (the kernel's nr_threads, the
     * count threads-max is checked against): one read, where summing /proc/*&#47;status is one per
     * process. -1 when unknown.
     */
    private static long totalThreads(Path proc) {
        String[] f = first(proc.resolve("loadavg")).trim().split("\\s+");
        if (f.length < 4) {
            return -1;
        }
        int slash = f[3].indexOf('/');
        return slash < 0 ? -1 : number(f[3].substring(slash + 1));
    }

    // ---- cgroup pids controller: the target's cgroup and each of its parents

    private static Optional<String> cgroupLimit(Path self, Path cgroupRoot) {
        for (String line : lines(self.resolve("cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            Optional<String> tight = Optional.empty();
            if (f[0].equals("0") && f[1].isEmpty()) {
                tight = pidsLimit(cgroupRoot, f[2]);
            } else if (List.of(f[1].split(",")).contains("pids")) {
                tight = pidsLimit(cgroupRoot.resolve("pids"), f[2]);
            }
            if (tight.isPresent()) {
                return tight;
            }
        }
        return Optional.empty();
    }

    /** The first level from {@code path} up to {@code root} whose pids.max is reached. */
    private static Optional<String> pidsLimit(Path hierarchy, String path) {
        Path root = hierarchy.toAbsolutePath().normalize();
        Path own = root.resolve(path.replaceFirst("^/+", "")).normalize();
        Path dir = own;
        // a cgroup outside the reader's namespace shows as /../..; it has no directory here
        for (; dir != null && dir.startsWith(root); dir = dir.getParent()) {
            String max = first(dir.resolve("pids.max")).trim();
            long limit = max.equals("max") ? -1 : number(max);
            long used = number(first(dir.resolve("pids.current")));
            if (limit >= 0 && used >= 0 && full(used, limit)) {
                return Optional.of((dir.equals(own) ? "its cgroup " : "its cgroup's ancestor ") + dir + " runs "
                        + used + " of " + limit + " tasks allowed by its pids.max");
            }
        }
        return Optional.empty();
    }

    // ---- the listener

    /** Whether {@code self} already runs HotSpot's attach listener; false when unknown. */
    private static boolean hasListener(Path self) {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(self.resolve("task"))) {
            for (Path t : tasks) {
                if (first(t.resolve("comm")).strip().equals(LISTENER)) {
                    return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }

    // ---- reading: empty or -1 for anything missing, unreadable or malformed

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static String first(Path file) {
        List<String> lines = lines(file);
        return lines.isEmpty() ? "" : lines.get(0);
    }

    /** The rest of the first line starting with {@code name}, trimmed; null when there is none. */
    private static String field(List<String> lines, String name) {
        for (String line : lines) {
            if (line.startsWith(name)) {
                return line.substring(name.length()).trim();
            }
        }
        return null;
    }

    /** A non-negative decimal, or -1. */
    private static long number(String s) {
        if (s == null) {
            return -1;
        }
        try {
            long n = Long.parseLong(s.trim());
            return n < 0 ? -1 : n;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
