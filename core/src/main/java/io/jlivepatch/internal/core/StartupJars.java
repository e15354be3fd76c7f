package io.jlivepatch.internal.core;

import java.io.IOError;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JARs of a {@code patches=<dir>} (at start-up or an attach's) that are not loaded: skipped with
 * their refusal's reason, or waiting for their class loader. Status lists them, so that an operator
 * who sees two patches where the directory holds three is told why without digging in the log.
 * One per JVM, as the directory is (the static methods; an instance of its own for a test). The
 * agent's start-up loaders record here only when a JAR is skipped or waits, so that this class is not
 * loaded on a start-up where every JAR loads (FootprintIT). Keyed by path: what is said of a JAR
 * last replaces what was said before (waiting, then skipped), and a JAR that loads leaves. One loaded
 * from the same path by any other way since (by hand, a watch) is not shown ({@link #snapshot(List)}):
 * the loads that would have to tell this class are every load, which must not load it.
 */
public final class StartupJars {

    /** How many are kept: a directory may hold many bad JARs; the oldest go first (the log keeps every one). */
    static final int KEPT = 100;
    /** A refusal's reason is cut here: the log and the audit trail have it whole. */
    private static final int REASON_CHARS = 500;

    /**
     * One JAR not loaded.
     *
     * @param jar    its path as the directory's listing gave it
     * @param by     who gave the directory: {@code "start-up"}, or {@code "attach"} for an attach's patches=
     * @param state  {@code "skipped"} or {@code "waiting"}
     * @param reason why: the refusal's reason and message, or what it waits for
     * @param at     when it was said
     */
    public record Entry(String jar, String by, String state, String reason, Instant at) {

        /** Said before any load (tests, and what status shows of one it cannot tell the time of). */
        public Entry(String jar, String by, String state, String reason) {
            this(jar, by, state, reason, Instant.EPOCH);
        }
    }

    /**
     * What status shows.
     *
     * @param entries  oldest first, at most {@link #KEPT}
     * @param notShown how many older ones were dropped to keep to {@link #KEPT}
     */
    public record Snapshot(List<Entry> entries, int notShown) {
    }

    /** This JVM's. */
    private static final StartupJars JVM = new StartupJars(KEPT);

    private final int kept;
    // Guarded by this: a start-up's thread, the waiting thread and status read and write them.
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private int dropped;

    StartupJars(int kept) {
        this.kept = kept;
    }

    /** {@code jar} was refused; it replaces what was said of it before (it waited, say). */
    public static void skipped(String jar, String requester, String reason) {
        JVM.put(new Entry(jar, by(requester), "skipped", cut(reason), Instant.now()));
    }

    /** {@code jar} waits for a class loader that can load its classes, or behind one that does. */
    public static void waiting(String jar, String requester, String reason) {
        JVM.put(new Entry(jar, by(requester), "waiting", cut(reason), Instant.now()));
    }

    /** {@code jar} loaded after all: status no longer lists it. */
    public static void loaded(String jar) {
        JVM.remove(jar);
    }

    /**
     * This JVM's JARs not loaded, for status, without those a patch of {@code registered} was loaded
     * from since they were said to be: a JAR skipped at start-up, mended and loaded by hand, is loaded.
     */
    public static Snapshot snapshot(List<Provenance> registered) {
        return JVM.entries(registered);
    }

    synchronized void remove(String jar) {
        entries.remove(jar);
    }

    synchronized Snapshot entries() {
        return entries(List.of());
    }

    synchronized Snapshot entries(List<Provenance> registered) {
        List<Entry> shown = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (!loadedSince(e, registered)) {
                shown.add(e);
            }
        }
        return new Snapshot(List.copyOf(shown), dropped);
    }

    /** Whether a patch of {@code registered} came from {@code e}'s JAR, registered when or after {@code e} was said. */
    static boolean loadedSince(Entry e, List<Provenance> registered) {
        for (Provenance p : registered) {
            if (!p.source().isEmpty() && !p.loadedAt().isBefore(e.at()) && samePath(e.jar(), p.source())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Both name one file: the directory's listing may be relative to the JVM's working directory,
     * the command sends an absolute path, a watch its own.
     */
    static boolean samePath(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        try {
            return Path.of(a).toAbsolutePath().normalize().equals(Path.of(b).toAbsolutePath().normalize());
        } catch (InvalidPathException | IOError | SecurityException e) {
            return false; // not a path of this file system: only the same string names the same JAR
        }
    }

    synchronized void put(Entry e) {
        entries.remove(e.jar()); // to the end: the latest word on it is the newest
        entries.put(e.jar(), e);
        if (entries.size() > kept) {
            Iterator<String> oldest = entries.keySet().iterator();
            oldest.next();
            oldest.remove();
            dropped++;
        }
    }

    static String by(String requester) {
        return Requester.ATTACH.equals(requester) ? "attach" : "start-up";
    }

    static String cut(String reason) {
        return reason.length() <= REASON_CHARS ? reason : reason.substring(0, REASON_CHARS) + "...";
    }
}
