package io.jlivepatch.internal.core;

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
 * last replaces what was said before (waiting, then skipped), and a JAR that loads leaves.
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
     */
    public record Entry(String jar, String by, String state, String reason) {
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
        JVM.put(new Entry(jar, by(requester), "skipped", cut(reason)));
    }

    /** {@code jar} waits for a class loader that can load its classes, or behind one that does. */
    public static void waiting(String jar, String requester, String reason) {
        JVM.put(new Entry(jar, by(requester), "waiting", cut(reason)));
    }

    /** {@code jar} loaded after all: status no longer lists it. */
    public static void loaded(String jar) {
        JVM.remove(jar);
    }

    /** This JVM's JARs not loaded, for status. */
    public static Snapshot snapshot() {
        return JVM.entries();
    }

    synchronized void remove(String jar) {
        entries.remove(jar);
    }

    synchronized Snapshot entries() {
        return new Snapshot(List.copyOf(new ArrayList<>(entries.values())), dropped);
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
