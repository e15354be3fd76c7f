package io.jlivepatch.internal.core;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.patch.HookLedger;
import jdk.jfr.FlightRecorder;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * Every life-cycle operation and its outcome, refusals included, oldest first: who asked, and for a
 * patch JAR which file and which content (the kernel's {@code dmesg} line with the module's
 * signature). Bounded, so that no patching loop and no input can grow the heap, and each field cut
 * to its own limit with a visible {@code …(truncated, N chars)} and {@link Text#clean cleaned}, so
 * that one entry is one line. Each record also goes to the {@link AuditFile} when one is
 * configured, and is a JFR event ({@link JfrEvents}): those get every record, one by one.
 *
 * <p>Refusals are kept apart from the other records, each kind at most {@value #CAPACITY} entries
 * and {@value #MAX_BYTES} bytes (its oldest first out), and read together in the order of their
 * times. A refusal changed nothing (a refused operation leaves the application as it was), and a
 * loop of them (a local client's bad requests, a JMX client retrying a refused enable, a watched
 * directory's bad JAR retried) is cheap to make: in one shared bound they pushed the records of
 * what did change out, and {@code status --log} no longer said what runs. A refusal identical to
 * one made since the last other record (every field but the time) is counted into it, which moves
 * to the end with the latest time ({@link Entry#times}): a loop then keeps one line, not the bound's
 * worth, and the refusals before it stay. A run never spans another record, so each line stays
 * where it was made among the changes.
 */
public final class AuditLog {

    /**
     * One record, its fields cleaned.
     *
     * @param time      when the operation ended
     * @param operation {@code load}, {@code register}, {@code enable}, {@code disable}, {@code unregister}, {@code force};
     *                  {@code callback}, {@code reconcile}; {@code link} (a function that failed in a class loader
     *                  that defined its class later: {@link LinkFailureAudit}; the hooks put into such a class, or
     *                  into one defined during a change: {@link AppliedLater})
     * @param patch     the patch's name, or the JAR's path when the name is unknown
     * @param outcome   {@code ok}, or {@code refused REASON: message}, or {@code cut short: the JVM exited during
     *                  it (...)} for an operation or a transition the JVM's exit came in the middle of
     *                  ({@link Operation}, {@code PatchRegistry.recordUnfinishedAtExit}), or for a
     *                  {@code transition} whose end failed and is retried {@code ending the transition failed,
     *                  retrying: why}
     * @param requester who asked ({@link Requester}): {@code pid N user U}, {@code api}, {@code jmx}, {@code startup},
     *                  {@code watch}; {@code jlivepatch} for what nobody asked ({@code link}, the
     *                  {@code callback} of a class defined later)
     * @param source    the patch JAR's path, or {@code ""} for a patch built in code or no patch at all
     * @param sha256    the SHA-256 of the JAR's bytes, or {@code ""}
     * @param signer    who signed the JAR, or {@code ""} when unsigned or not known
     * @param times     how many identical refusals, with no other record between them, this entry stands for
     *                  ({@link AuditLog}); 1 for every other record
     * @param first     when the first of them ended; {@code time} is the last's
     */
    public record Entry(Instant time, String operation, String patch, String outcome, String requester,
                        String source, String sha256, String signer, long times, Instant first) {

        /** One operation's record. */
        public Entry(Instant time, String operation, String patch, String outcome, String requester, String source,
                     String sha256, String signer) {
            this(time, operation, patch, outcome, requester, source, sha256, signer, 1, time);
        }

        /**
         * {@code 2026-12-01T13:05:00Z enable fix-x by jmx: refused ILLEGAL_STATE: ... (the same 40 times, first at
         * 2026-12-01T13:00:00Z, last at 2026-12-01T13:05:00Z)}, after the outcome, so that the count reads as part
         * of what happened.
         */
        private String repeated() {
            return times == 1 ? "" : " (the same " + times + " times, first at " + first + ", last at " + time + ")";
        }

        /** Whether the operation was refused: nothing changed. */
        boolean refusal() {
            return outcome.startsWith("refused");
        }

        /** Whether {@code e} says what this says, its time aside. Hashes first: a String caches its own. */
        boolean sameAs(Entry e) {
            return outcome.hashCode() == e.outcome.hashCode() && patch.hashCode() == e.patch.hashCode()
                    && outcome.equals(e.outcome) && patch.equals(e.patch) && operation.equals(e.operation)
                    && requester.equals(e.requester) && source.equals(e.source) && sha256.equals(e.sha256)
                    && signer.equals(e.signer);
        }

        /** {@code 2026-12-01T13:00:00Z load fix-x by pid 123 user alice: ok (registered, enabled) [file /tmp/fix.jar sha256 ab12…]}. */
        @Override
        public String toString() {
            // The subject, the requester and the file may be a client's text (a refused JAR's path, a source it
            // names, the name a JMX connector's authenticator took from its client: JmxCaller): quoted where they
            // hold what separates the fields after them, so that no text reads as another requester or outcome.
            StringBuilder sb = new StringBuilder(128).append(time).append(' ').append(operation).append(' ')
                    .append(unambiguous(patch, " by ")).append(" by ").append(unambiguous(requester, ": "))
                    .append(": ").append(outcome)
                    .append(repeated());
            if (!source.isEmpty() || !sha256.isEmpty() || !signer.isEmpty()) {
                String sep = " [";
                if (!source.isEmpty()) {
                    sb.append(sep).append("file ").append(unambiguous(source, " sha256 ", " signer ", "]"));
                    sep = " ";
                }
                if (!sha256.isEmpty()) {
                    sb.append(sep).append("sha256 ").append(sha256);
                    sep = " ";
                }
                if (!signer.isEmpty()) {
                    sb.append(sep).append("signer ").append(signer);
                }
                sb.append(']');
            }
            return sb.toString();
        }
    }

    /**
     * {@code text} as it is, or in double quotes (its quotes and backslashes escaped) when it holds a
     * separator, ends with the start of one (so that the separator after it would read early:
     * {@code "x.jar by"} then {@code " by "}), or starts with a quote (as a quoted text would).
     */
    static String unambiguous(String text, String... separators) {
        boolean quote = text.startsWith("\"");
        for (String s : separators) {
            // The first separator after the text must be the one that follows it, not one it helps make.
            quote |= (text + s).indexOf(s) < text.length();
        }
        return quote ? '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"' : text;
    }

    static final int CAPACITY = 1000;
    static final int MAX_BYTES = 256 * 1024;
    static final int MAX_OPERATION = 32;
    static final int MAX_PATCH = 256;
    static final int MAX_OUTCOME = 1000;
    static final int MAX_REQUESTER = 128;
    static final int MAX_SOURCE = 1024;
    /** 64 hex digits; more only from a caller that passed something else, which is cut and shown. */
    static final int MAX_SHA256 = 64;
    static final int MAX_SIGNER = 512;
    /**
     * The entry, its Instant, three Strings and their arrays' headers, the deque's slot: a generous
     * estimate (a count of repeats and the first's Instant included). The requester and provenance
     * fields are mostly the very Strings of a constant or of the patch's {@link Provenance} (cutting
     * and cleaning return a String unchanged when they can), and their characters are counted by
     * {@link #bytes(Entry)} all the same.
     */
    static final int ENTRY_OVERHEAD = 200;

    /**
     * This JVM's audit file, or null: written once by {@link AuditFile#configure} under
     * AuditFile.class, read here by every record. Held by this class, which every JVM with
     * jlivepatch loads, so that a JVM without an audit file loads none of its classes (FootprintIT).
     */
    static volatile AuditFile file;

    // Set once jdk.jfr is found missing (a jlinked runtime); racy reads only repeat a failed attempt.
    private static volatile boolean noJfr;

    // Guarded by this: both kinds, in the order of their times (a repeated refusal moved to the end). Grown by
    // roomForOne only, never by its own add: replaced, not changed, when that finds no memory.
    private ArrayDeque<Entry> entries = new ArrayDeque<>(ROOM);
    /** Guarded by this: how many entries {@link #entries} holds without growing (ArrayDeque(int)'s capacity). */
    private int room = ROOM;
    private static final int ROOM = 16;
    // Guarded by this: how many of entries are refusals, and the other records; their sums of bytes(e).
    private int refusals;
    private int others;
    private long refusalBytes;
    private long otherBytes;

    /**
     * Records an operation's outcome here, in the audit file and as a JFR event. Never throws for a
     * failing audit file or JFR: those fail apart from the operation (see {@link AuditFile}).
     *
     * @param requester  who asked ({@link Requester})
     * @param provenance the patch's, or what is known of a refused JAR; {@code null} for neither
     */
    void record(String operation, String patch, String outcome, String requester, Provenance provenance) {
        record(operation, patch, outcome, requester, provenance, true);
    }

    /**
     * {@link #record(String, String, String, String, Provenance)} at the JVM's exit, by the audit file's
     * drain before it waits ({@link AuditFile}'s DrainedAtExit): the line is queued, not waited for, so
     * that the drain's one bound covers it with the others.
     */
    void recordAtExit(String operation, String patch, String outcome, String requester, Provenance provenance) {
        record(operation, patch, outcome, requester, provenance, false);
    }

    /**
     * The records of link event {@code of} (LinkFailureAudit's thread): {@code rows}, each of requester
     * {@code requester}, then the lines attached to the event to follow them ({@link HookLedger.LinkEvent#attached}: a
     * late class's callbacks' lines), all placed in one hold of this monitor, or none when the JVM's exit has counted
     * the event as not recorded. One decision for them all: placed one by one, a writer held after the first (a slow
     * disk, the file's wait) left the exit seeing the event placed, not counting it, and the rest came after the exit's
     * lines, lost after the drain (CallbacksTest.bothRecordsOfALateClassHookedByTwoPatches...). Every record's fields
     * are made before the event is marked placed: made after, an Error there (no memory for them) left the event
     * marked, its records and lines lost, and the exit, seeing it placed, did not count it
     * (CallbacksTest.aLateClasssEventWhoseAttachedLineFindsNoMemoryIsCountedAtTheExit). What {@link #place} makes (an
     * entry, its time, the file's slot) comes after the marking still: that is where a record is placed. So an Error
     * there, the event marked placed, must not end the placing ({@link #placeOrCount}): it ended it, the rest of the
     * event's records were neither placed nor counted, and the exit, seeing the event placed, counted nothing
     * (CallbacksTest.aLateClasssRecordWhosePlaceFindsNoMemory...). False when the exit had counted it (none placed).
     */
    boolean recordEvent(List<LinkFailureAudit.Row> rows, String requester, HookLedger.LinkEvent of) {
        List<String[]> prepared = new ArrayList<>(rows.size());
        for (LinkFailureAudit.Row r : rows) { // cut and cleaned outside the lock, as a record's
            prepared.add(fields(r.operation(), r.patch(), r.outcome(), requester, r.provenance()));
        }
        int own = prepared.size();
        AuditFile f = file;
        // The time a record that cannot be placed is counted at (placeOrCount), taken here: counting it there must
        // need no memory.
        Instant asked = f == null ? null : Instant.now();
        while (true) {
            // The lines attached so far, left attached: their fields made outside the lock too. Few (a patch's
            // callbacks' line each, made by LinkFailureAudit.afterHooks, on a late class's first call), so a line
            // attached meanwhile (placeAll below says so) costs a round, not a wait.
            List<Object> then = of.attached();
            for (int i = prepared.size() - own; i < then.size(); i++) {
                Runnable step = attachedLineForTests;
                if (step != null) {
                    step.run();
                }
                LinkFailureAudit.Row r = LinkFailureAudit.row(then.get(i));
                prepared.add(fields(r.operation(), r.patch(), r.outcome(), requester, r.provenance()));
            }
            int seen = prepared.size() - own;
            long[] lines = new long[prepared.size()];
            List<Object> events;
            boolean placed = false;
            Throwable why = null;
            synchronized (this) {
                events = jfrStarted() ? new ArrayList<>(lines.length) : null; // under this, as a record's (below)
                // Under this monitor, where their places are taken: pairs with the exit's LinkEvent.countedAtExit, so
                // that the exit's count either includes the event (none of its records placed) or sees it placed
                // (all of them in the file's queue, which the drain writes: not counted). Lock order: this, then
                // the event's monitor, as before.
                int attached = of.placeAll(seen);
                if (attached < 0) {
                    return false;
                }
                if (attached == seen) {
                    placed = true;
                    why = placeOrCount(prepared, f, events, asked, lines);
                }
            }
            if (placed) {
                if (why != null) {
                    notPlaced(prepared, lines, f, why, true);
                }
                afterPlace(f, lines, events);
                return true;
            }
        }
    }

    /** In {@link #placeOrCount}'s {@code lines}: a record that is neither here nor in the file's queue. */
    private static final long NOT_PLACED = Long.MIN_VALUE;

    /**
     * Caller holds this, the event marked placed ({@link #recordEvent}): each record of {@code prepared} placed, its
     * line in {@code lines}. A record whose {@link #place} meets an Error (no memory for its entry, its time, a
     * slot) is placed with nothing of it, so it is tried once more: the Error let go of what that place had made,
     * and a shortage another thread caused may be over. When that fails too, memory cannot hold it: it is counted
     * as not written to the audit file ({@link AuditFile#notPlaced}, at {@code asked}, allocating nothing: its
     * gap line and status say so), its line {@link #NOT_PLACED}; and the records after it are placed all the same.
     * The last such Error, or null when every record is placed.
     */
    private Throwable placeOrCount(List<String[]> prepared, AuditFile f, List<Object> events, Instant asked,
                                   long[] lines) {
        Throwable why = null;
        for (int i = 0; i < lines.length; i++) {
            String[] x = prepared.get(i);
            try {
                lines[i] = place(x, f, events);
            } catch (RuntimeException | LinkageError | VirtualMachineError first) {
                try {
                    lines[i] = place(x, f, events);
                } catch (RuntimeException | LinkageError | VirtualMachineError again) {
                    lines[i] = NOT_PLACED;
                    why = again;
                    if (f != null) {
                        f.notPlaced(asked);
                    }
                }
            }
        }
        return why;
    }

    /**
     * Outside the lock: a warning for the records of {@code prepared} {@link #placeOrCount} could not place
     * ({@link #NOT_PLACED} in {@code lines}), which is what the audit file's gap line refers the reader to, and
     * all there is of them without a file; {@code lines} null: one record whose fields could not be made
     * ({@code prepared} null). {@code beforeExit}: false for the exit's records (recordAtExit). Never throws: with
     * no memory for it either, the file's count stands.
     */
    private static void notPlaced(List<String[]> prepared, long[] lines, AuditFile f, Throwable why,
                                  boolean beforeExit) {
        try {
            int n = 0;
            String[] first = null;
            for (int i = 0; lines == null ? i < 1 : i < lines.length; i++) {
                if (lines == null || lines[i] == NOT_PLACED) {
                    n++;
                    first = first == null && prepared != null ? prepared.get(i) : first;
                }
            }
            // At the exit (recordAtExit), java.util.logging may be reset already: standard error, as the exit's.
            (beforeExit ? Log.get() : Log.atExit()).log(System.Logger.Level.WARNING, "audit: " + n
                    + (n == 1 ? " record" : " records") + " could not be kept (" + why + ")"
                    + (first == null ? "" : ", the first: " + first[7] + " " + first[8] + " by " + first[10] + ": "
                    + first[9]) + (f == null ? "" : "; the audit file counts " + (n == 1 ? "it" : "them")
                    + " as not written ('jlivepatch status')"));
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // no memory for the warning either: the file's count stands
        }
    }

    /**
     * One record, placed as each of an event's ({@link #placeOrCount}): a place that meets an Error is tried once
     * more, then counted as not written to the audit file, with a warning. It passed the Error to its caller
     * uncounted: at the exit's pass of the link audit (LinkFailureAudit.place), the rest of the event's records
     * with it (AuditLogTest.aRecordWhosePlaceFindsNoMemory...). Its fields found no memory: counted the same way.
     */
    private void record(String operation, String patch, String outcome, String requester, Provenance provenance,
                        boolean await) {
        AuditFile f = file;
        Instant asked = f == null ? null : Instant.now(); // before anything else, as recordEvent's: counting needs none
        List<String[]> one;
        try {
            one = Collections.singletonList(fields(operation, patch, outcome, requester, provenance));
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            if (f != null) {
                f.notPlaced(asked);
            }
            notPlaced(null, null, f, e, await);
            return;
        }
        long[] lines = new long[1];
        List<Object> events;
        Throwable why;
        synchronized (this) {
            // Asked under this monitor, where the record takes its place: a record placed after one that has an
            // event has one too (the recorder, once started, stays so), which a check before the lock did not give.
            events = jfrStarted() ? new ArrayList<>(1) : null;
            why = placeOrCount(one, f, events, asked, lines);
        }
        if (why != null) {
            notPlaced(one, lines, f, why, await);
        }
        afterPlace(await ? f : null, lines, events);
    }

    /**
     * The fields of a record, cut, then each cleaned ({@code [0..6]}: operation, patch, outcome, requester, source,
     * sha256, signer, as they are; {@code [7..13]} cleaned). Cut outside the lock: the raw fields may be large. Cut
     * before cleaning, so that no escape is cut in half.
     */
    private static String[] fields(String operation, String patch, String outcome, String requester,
                                   Provenance provenance) {
        String[] x = new String[14];
        x[0] = cut(operation, MAX_OPERATION);
        x[1] = cut(patch, MAX_PATCH);
        x[2] = cut(outcome, MAX_OUTCOME);
        x[3] = cut(requester, MAX_REQUESTER);
        x[4] = provenance == null ? "" : cut(provenance.source(), MAX_SOURCE);
        x[5] = provenance == null ? "" : cut(provenance.sha256(), MAX_SHA256);
        x[6] = provenance == null ? "" : cut(provenance.signer(), MAX_SIGNER);
        for (int i = 0; i < 7; i++) {
            x[7 + i] = Text.clean(x[i]);
        }
        return x;
    }

    /**
     * Caller holds this: the record of {@code x} ({@link #fields}) takes its time, its place here and its place in
     * {@code f}'s queue (returned, as AuditFile.enqueue's; -1 without a file), and its JFR event, added to
     * {@code events} (null: JFR not started).
     */
    private long place(String[] x, AuditFile f, List<Object> events) {
        // The time, the place in this log and the place in the file's queue are taken together: two
        // records made at once by two threads (a refusal before klpMutex, the worker's) read in the
        // same order, each stamped no earlier than the one ahead of it, in status and in the file.
        // Lock order: this, then the AuditFile's monitor (its enqueue); nothing takes them the other way.
        // The JFR event's begin takes none of jlivepatch's locks.
        java.util.function.Consumer<String[]> step = placeForTests;
        if (step != null) {
            step.accept(x);
        }
        Entry e = new Entry(Instant.now(), x[7], x[8], x[9], x[10], x[11], x[12], x[13]);
        keep(e);
        // Placed from here on: nothing below throws (enqueue counts a line it cannot make, an event that cannot be
        // made is left out), so that an Error above leaves none of the record placed, for placeOrCount to retry.
        long line = -1;
        if (f != null) {
            // The file gets the fields as they are (cut, not cleaned): Json escapes every character
            // that could end or forge a line, and a reader gets the names back exactly.
            line = f.enqueue(e.time(), x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
        }
        if (events != null) {
            // Its event's time taken here too, with its place: committed after the lock and the file's
            // wait, its time would have been the commit's, and a record another thread made after this
            // one could have an earlier event (a recording's reader orders the events by their times).
            events.add(JfrEvents.operationAt(e));
        }
        return line;
    }

    /** Outside the lock, once placed: the test's hold, the wait for each line's write ({@code f}: null, none), the JFR events. */
    private static void afterPlace(AuditFile f, long[] lines, List<Object> events) {
        Runnable hold = afterPlaceForTests;
        if (hold != null) {
            hold.run();
        }
        if (f != null) {
            for (long line : lines) {
                f.awaitWritten(line); // outside the lock: a slow write holds these records only, not the next
            }
        }
        if (events != null) {
            for (Object event : events) { // outside the lock: the recorder's buffers are no business of the next record's
                if (event != null) {
                    JfrEvents.commit(event);
                }
            }
        }
    }

    /**
     * Run by {@link #recordEvent} as it makes the fields of each line attached to the event; tests hold the thread
     * there and throw an Error (no memory for the fields).
     */
    static volatile Runnable attachedLineForTests;

    /**
     * Run by {@link #place} with a record's fields ({@link #fields}) as it begins, under the lock; tests throw an
     * Error there (no memory for the record's entry).
     */
    static volatile java.util.function.Consumer<String[]> placeForTests;

    /** Run by each record once it has its time and place, outside the lock; tests hold a thread there. */
    static volatile Runnable afterPlaceForTests;

    /**
     * Whether JFR events are worth creating: the flight recorder was started in this JVM
     * ({@code -XX:StartFlightRecording}, {@code jcmd JFR.start}). Asked here, not in
     * {@link JfrEvents}, so that a JVM that never records loads no class of jlivepatch's events.
     */
    static boolean jfrStarted() {
        if (noJfr) {
            return false;
        }
        try {
            return FlightRecorder.isInitialized();
        } catch (LinkageError e) {
            noJfr = true;
            return false;
        }
    }

    /** jdk.jfr turned out to be missing or broken: no more events are tried. */
    static void jfrMissing() {
        noJfr = true;
    }

    /**
     * Adds {@code e}, or counts it into the same refusal made since the last other record. Caller holds this. Throws
     * (an Error: no memory) with {@code e} not kept, so that {@link #place} can be tried again: what may fail comes
     * before the entry is in, and its bound, kept after, is kept by the next record when it cannot be now. The
     * deque's growth too ({@link #roomForOne}): ArrayDeque.addLast grows after its add, and an Error there left the
     * deque's entries unreachable and the counts above it, so that each later record of that kind was trimmed away
     * as soon as it was kept.
     */
    private void keep(Entry e) {
        if (!e.refusal()) {
            roomForOne();
            entries.addLast(e);
            others++;
            otherBytes += bytes(e);
            trim(false);
            return;
        }
        // Everything after the last other record is a refusal: the run is the tail. Bounded by CAPACITY.
        for (Iterator<Entry> it = entries.descendingIterator(); it.hasNext(); ) {
            Entry same = it.next();
            if (!same.refusal()) {
                break;
            }
            if (same.sameAs(e)) {
                // The same fields, so the same bytes: only its place, time and count change. Made before the old one
                // goes: made after, an Error lost both.
                Entry again = new Entry(e.time(), same.operation(), same.patch(), same.outcome(), same.requester(),
                        same.source(), same.sha256(), same.signer(), same.times() + 1, same.first());
                it.remove();
                entries.addLast(again);
                return;
            }
        }
        roomForOne();
        entries.addLast(e);
        refusals++;
        refusalBytes += bytes(e);
        trim(true);
    }

    /**
     * Caller holds this: {@link #entries} with room for one more entry, its add then allocating nothing. Throws
     * (no memory for the bigger deque) with nothing changed. Twice the room each time: at most a few doublings up
     * to both bounds' worth.
     */
    private void roomForOne() {
        if (entries.size() < room) {
            return;
        }
        int more = room * 2;
        ArrayDeque<Entry> bigger = new ArrayDeque<>(more);
        bigger.addAll(entries); // sized for them: no growth of its own
        entries = bigger;
        room = more;
    }

    /**
     * The refusals, or the other records, back within their bounds, oldest first out. Caller holds this.
     * Never throws.
     */
    private void trim(boolean refusal) {
        try {
            while (refusal ? refusals > CAPACITY || refusalBytes > MAX_BYTES
                    : others > CAPACITY || otherBytes > MAX_BYTES) {
                Entry gone = removeOldest(refusal);
                if (refusal) {
                    refusals--;
                    refusalBytes -= bytes(gone);
                } else {
                    others--;
                    otherBytes -= bytes(gone);
                }
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // no memory for the iterator: over its bound by one entry until the next record trims it
        }
    }

    /** Removes the oldest refusal, or the oldest other record; one is there (its count is over a bound). */
    private Entry removeOldest(boolean refusal) {
        for (Iterator<Entry> it = entries.iterator(); ; ) {
            Entry e = it.next();
            if (e.refusal() == refusal) {
                it.remove();
                return e;
            }
        }
    }

    /** {@code raw} cut to {@code max} characters, {@code ""} for null. */
    private static String cut(String raw, int max) {
        return raw == null ? "" : Text.truncate(raw, max);
    }

    public synchronized List<Entry> entries() {
        return new ArrayList<>(entries);
    }

    /** What the entries keep on the heap, estimated: two bytes a character (at most) and the objects around them. */
    synchronized long bytes() {
        return refusalBytes + otherBytes;
    }

    static long bytes(Entry e) {
        return ENTRY_OVERHEAD + 2L * (e.operation().length() + e.patch().length() + e.outcome().length()
                + e.requester().length() + e.source().length() + e.sha256().length() + e.signer().length());
    }
}
