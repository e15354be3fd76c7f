package io.jlivepatch.internal.core;

import io.jlivepatch.internal.ClosedAtExit;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.OwnThread;
import io.jlivepatch.internal.control.Json;
import io.jlivepatch.internal.patch.RecursionGuard;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The audit log on disk ({@code audit=<file>}): every {@link AuditLog} record appended as one JSON
 * line to a file created 0600, never truncated, so that it survives a restart (see
 * {@link PrivateAppendFile}). One per JVM, set once.
 *
 * <p>A file that cannot be written never fails an operation: the problem is logged once per
 * distinct problem and shown in status ({@link #problem}) until a write succeeds again; the
 * records meanwhile are in the in-memory log only. The lines are written by a thread of their
 * own, so that a write that hangs (a stale network mount) cannot hold the registry's lock: the
 * operation waits for its line up to {@link #WAIT_FOR_WRITE_MS} ms, so that in the usual case the
 * line is on disk when the operation returns, and not at all while the writer is known to be stuck.
 * The writer is a daemon thread, so the lines still queued when the JVM exits (an interrupted
 * caller's, which does not wait) are written then, within {@link #DRAIN_AT_EXIT_MS} ms
 * ({@link #drain}, run by {@link ClosedAtExit}); those that are not are counted and logged. What the
 * exit cuts short (an operation under way, a transition in progress) is recorded just before that drain,
 * and drained with the rest ({@link DrainedAtExit}). A line
 * queued after that drain (a record made by another shutdown hook, or by a thread still running)
 * is waited for the same way by its own record, and counted and logged when it is not written.
 *
 * <p>Line format, one object per line, every value a string escaped by {@link Json}: {@code time}
 * (ISO-8601), {@code operation}, {@code patch}, {@code outcome}, {@code requester}, {@code source},
 * {@code sha256}, {@code signer}; each cut to {@link AuditLog}'s field limits, so a line is bounded.
 */
public final class AuditFile implements Runnable {

    static final long WAIT_FOR_WRITE_MS = 1000;
    /** How long the JVM's exit waits, at most, for the lines still queued; not at all for none. */
    static final long DRAIN_AT_EXIT_MS = 1000;
    /** Lines queued while the writer is stuck, at most; beyond, records are counted as not written. */
    static final int MAX_QUEUED = 1000;
    /** How often in a row an open or a line's write cut by an interrupt is tried again ({@link #openAndWrite}). */
    static final int INTERRUPTED_WRITE_TRIES = 5;

    private final Path file;
    private final String shown;

    // Guarded by this, as are the fields below: lines to write, oldest first. Made with room for its bound
    // (enqueue counts a line beyond it), so that it never grows: ArrayDeque.addLast grows after its add, and an
    // Error there (no memory) left head and tail equal, the queued lines unreachable and uncounted, the writer's
    // count of lines done behind the queue's for good (each later line waited its whole bound).
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>(MAX_QUEUED);
    /** Lines queued so far, and lines the writer is done with (written or failed): the handshake's sequence numbers. */
    private long queued;
    private long done;
    /** A record's wait for its line timed out; no record waits until the writer is done with a line again. */
    private boolean stuck;
    /**
     * A wait at the JVM's exit (the drain, or a line after it: {@link #afterExitDrain}) ran out of
     * its time: later lines of the exit wait no more, so that an exit that makes N more records (a
     * shutdown hook's unload) takes the one bound, not N more; nor do those waiting already, woken
     * when it is set, whether their lines are the drain's ({@link #awaitWritten}) or came after it.
     * Under this.
     */
    private boolean exitGaveUp;
    /** Why the last write failed (or the writer is stuck), or null after a write that succeeded. */
    private String problem;
    /** Records not written since the last write that succeeded. */
    private long lost;
    /**
     * Records not written since this file was configured, the last one's time, and those not noted
     * in the file yet by a gap line ({@link #gapLine}) with the first one's time: a write that works
     * again must not make the loss forgettable.
     */
    private long lostTotal;
    private Instant lastLost;
    private long unnoted;
    private Instant unnotedSince;
    /** The earliest time of the records lost since the last gap line was made: the next one's "since". */
    private Instant lostSinceGapLine;
    /** The problem logged last, so that each distinct problem is logged once and not per record. */
    private String logged;
    /**
     * The last line the drain at the JVM's exit waited for, or -1 before it. A line queued after it
     * has no drain left to wait for it, nor a gap line to come: its own record waits for it as the
     * drain does ({@link #afterExitDrain}) and says on standard error when it is not written.
     */
    private long drainedAtExit = -1;
    /**
     * {@link #lostTotal} as the exit's words last counted it ({@link #lacking}, the drain's, a line after it): a
     * record made after the drain whose write failed is said once it adds to it.
     */
    private long lostSaidAtExit;
    /**
     * How long a line queued after the drain at the JVM's exit is waited for ({@link #afterExitDrain}):
     * the drain's bound. Tests of a file of their own raise it, set before any thread uses the file,
     * so that a wait that must not happen shows as a hang rather than as a time.
     */
    long afterDrainBoundMs = DRAIN_AT_EXIT_MS;
    /** How long a record waits for its line ({@link #awaitWritten}): raised by tests as {@link #afterDrainBoundMs}. */
    long waitForWriteMs = WAIT_FOR_WRITE_MS;

    // The writer thread's own: the open file, or null until opened (again).
    private PrivateAppendFile out;

    private AuditFile(Path file, String shown) {
        this.file = file;
        this.shown = shown;
    }

    /**
     * From now on, appends every audit record to {@code file}; a file that cannot be written is
     * logged and shown in status. Once per JVM: a later call with another file is refused with a
     * warning and the first file stays (an attach cannot redirect the audit trail).
     */
    public static void configure(Path file) {
        String shown;
        try {
            shown = file.toAbsolutePath().normalize().toString();
        } catch (RuntimeException | java.io.IOError e) {
            Log.get().log(System.Logger.Level.WARNING, "audit file: cannot use " + file + " (" + e
                    + "); operations are recorded in memory only ('jlivepatch status --log')");
            return;
        }
        synchronized (AuditFile.class) {
            AuditFile f = AuditLog.file;
            if (f != null) {
                if (!f.shown.equals(shown)) {
                    Log.get().log(System.Logger.Level.WARNING, "audit file: already appending to " + f.shown
                            + "; audit=" + shown + " is ignored (one audit file per JVM, set by the first"
                            + " agent start or attach; restart the JVM to change it)");
                }
                return;
            }
            use(start(file, shown));
        }
    }

    /**
     * Makes {@code f} this JVM's audit file, drained at its exit (caller holds AuditFile.class). The
     * writer is a daemon: without the drain, a line queued as the JVM exits was lost with no gap line.
     */
    static void use(AuditFile f) {
        AuditLog.file = f; // pairs with the volatile reads in AuditLog.record, file and problem
        // Lock order: AuditFile.class, then ClosedAtExit's; its hook drains outside its lock, and the
        // drain takes only f's monitor. When the JVM exits already, add drains at once: nothing is
        // queued yet, so that returns at once too.
        ClosedAtExit.add(new DrainedAtExit(f));
    }

    /** An audit file and its writer thread, not this JVM's one until {@link #configure} makes it. */
    static AuditFile start(Path file, String shown) {
        AuditFile f = unstarted(file, shown);
        f.startWriter();
        return f;
    }

    /** An audit file whose writer is not running until {@link #startWriter}: tests hold it back so. */
    static AuditFile unstarted(Path file, String shown) {
        return new AuditFile(file, shown);
    }

    void startWriter() {
        new OwnThread(this, "jlivepatch-audit-file").start(); // lives as long as the JVM
    }

    /**
     * {@link #drain} for {@link ClosedAtExit}, whose hook closes what it is given. First, what the exit
     * cuts short goes on record (PatchRegistry.recordUnfinishedAtExit: an operation whose callback
     * called {@code System.exit}, one another thread's exit came in the middle of, a transition in
     * progress), queued without waiting: its thread never gets to record it, and a thread-local's
     * records died with it. The drain then waits for those lines with the others, within its one bound.
     */
    private static final class DrainedAtExit implements AutoCloseable {
        private final AuditFile file;

        DrainedAtExit(AuditFile file) {
            this.file = file;
        }

        @Override
        public void close() {
            PatchRegistry.recordUnfinishedAtExit(); // never throws, never waits for jlivepatch's lock
            file.drain(DRAIN_AT_EXIT_MS, Log.atExit(), true);
        }
    }

    /**
     * Waits at most {@code boundMs} until the writer is done with every line queued so far, and not
     * at all when none is queued (an exit with nothing queued takes no longer than without an audit
     * file: issue 14, BENCHMARKS.md) nor while the writer is known to be stuck. The lines it is not
     * done with by then are counted as not written and logged, the file's last chance to be noted
     * (no later line carries a gap line for them); at the JVM's exit, so is what the file lacks though the
     * writer is done ({@link #lacking}). The number of the lines it was not done with.
     */
    long drain(long boundMs) {
        return drain(boundMs, Log.get(), false);
    }

    /**
     * {@link #drain(long)}, its warning to {@code log}: at the JVM's exit ({@code atExit}),
     * {@link Log#atExit()}'s, and the lines queued after it are their own records' to wait for.
     */
    long drain(long boundMs, System.Logger log, boolean atExit) {
        long left;
        String report;
        synchronized (this) {
            long target = queued;
            if (atExit) {
                drainedAtExit = target; // with the target, under this: each line is the drain's or afterExitDrain's
            }
            if (done >= target) {
                report = atExit ? lacking() : null;
                left = 0;
            } else {
                left = awaitDone(target, boundMs);
                report = left > 0 ? notDone(left, target, boundMs, atExit) : atExit ? lacking() : null;
            }
        }
        if (report != null) {
            try {
                log.log(System.Logger.Level.WARNING, (java.util.ResourceBundle) null, report, (Throwable) null);
            } catch (Throwable ignored) {
                // a log back-end's failure changes nothing, and the JVM exits (an at-exit logger, not Log.get()'s)
            }
        }
        return left;
    }

    /**
     * At the JVM's exit, with the writer done with every line the drain waited for: what the file lacks with no
     * gap line to say so (caller holds this), or null when it lacks nothing. Lines whose write failed (a full disk,
     * the directory removed: the exit's own lines too) and records lost before are such, and nothing will say so
     * once the JVM is gone: no later line carries a gap line, no status shows the count, and the writer's warning
     * went through java.util.logging, which the exit closes, once per problem rather than per record. Before,
     * the drain said nothing of them, only of the lines it was not done with in time (AuditFileTest).
     */
    private String lacking() {
        if (unnoted == 0) {
            return null;
        }
        lostSaidAtExit = lostTotal;
        return "audit file: " + shown + " lacks " + unnoted + (unnoted == 1 ? " record" : " records") + " since "
                + unnotedSince + ", with no gap line: " + (unnoted == 1 ? "it was" : "they were")
                + " not written to it (" + (problem != null ? problem : "see the log") + "), and the JVM exits";
    }

    /**
     * Waits at most {@code boundMs} until the writer is done with line {@code target}, not at all while it is
     * stuck; the lines it is not done with by then (caller holds this).
     */
    private long awaitDone(long target, long boundMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMs);
        boolean interrupted = false;
        while (done < target && !stuck && !interrupted) {
            long wait = deadline - System.nanoTime();
            if (wait <= 0) {
                break;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, wait); // pairs with notifyAll in finished
            } catch (InterruptedException e) {
                interrupted = true; // the exit goes on; what is left is reported below
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return target - done;
    }

    /**
     * Counts the {@code left} lines up to {@code target} the writer is not done with by the drain's bound as not
     * written, and says so (caller holds this); at the exit, the later lines wait no more.
     */
    private String notDone(long left, long target, long boundMs, boolean atExit) {
        if (atExit) {
            exitGaveUp = true;
            notifyAll(); // the lines queued after the target wait no more (the wait in afterExitDrain)
        }
        // Those still queued (oldest first; the lines queued after target are not this drain's) at
        // their own time; the one the writer holds, if any, has none here: now.
        long stillQueued = queue.size() - (queued - target);
        java.util.Iterator<byte[]> queuedLines = queue.iterator();
        for (long i = 0; i < left; i++) {
            countLost(i < stillQueued && queuedLines.hasNext() ? timeOf(queuedLines.next()) : null);
        }
        if (atExit) {
            lostSaidAtExit = lostTotal; // these words count them
        }
        return "audit file: " + left + (left == 1 ? " record was" : " records were") + " not written to "
                + shown + " before the JVM exited (" + (problem != null ? problem
                : "writing them had not ended within " + boundMs + " ms") + "); the file lacks " + unnoted
                + (unnoted == 1 ? " record" : " records") + " since " + unnotedSince + ", with no gap line";
    }

    /** The audit file's absolute path, or {@code null} when none is configured. */
    public static String file() {
        AuditFile f = AuditLog.file;
        return f == null ? null : f.shown;
    }

    /** Why records are not being written to the audit file, or {@code null} when they are (or there is none). */
    public static String problem() {
        AuditFile f = AuditLog.file;
        return f == null ? null : f.currentProblem();
    }

    /**
     * How many records were not written to the audit file since it was configured, and when the
     * last one was, as a status line's tail ({@code ""} when none, or no file).
     */
    public static String notWritten() {
        AuditFile f = AuditLog.file;
        return f == null ? "" : f.notWrittenSoFar();
    }

    /** The number of records not written to the audit file since it was configured (0 without one). */
    public static long notWrittenCount() {
        AuditFile f = AuditLog.file;
        if (f == null) {
            return 0;
        }
        synchronized (f) {
            return f.lostTotal;
        }
    }

    synchronized String notWrittenSoFar() {
        return lostTotal == 0 ? "" : lostTotal + (lostTotal == 1 ? " record" : " records") + " not written to it"
                + " since it was opened, the last at " + lastLost + " (the file notes each gap, operation"
                + " 'audit-gap'; 'status --log' has the last records)";
    }

    /**
     * Counts a record that was not written (caller holds this), at the record's own time (the time
     * its line and the in-memory log show), so that a gap line's "since" covers the first record lost
     * rather than the failed write a few milliseconds later; now when the record's time is unknown.
     */
    private void countLost(Instant recordTime) {
        Instant t = recordTime != null ? recordTime : Instant.now();
        lost++;
        lostTotal++;
        lastLost = lastLost == null || t.isAfter(lastLost) ? t : lastLost;
        unnoted++;
        unnotedSince = earlier(unnotedSince, t);
        lostSinceGapLine = earlier(lostSinceGapLine, t);
    }

    private static Instant earlier(Instant a, Instant b) {
        return a == null || b.isBefore(a) ? b : a;
    }

    /**
     * The time of a line made by {@link #line} (its first field), or {@code null} for any other line:
     * what a lost line is counted at.
     */
    static Instant timeOf(byte[] line) {
        byte[] prefix = "{\"time\":\"".getBytes(StandardCharsets.US_ASCII);
        if (line == null || line.length <= prefix.length) {
            return null;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (line[i] != prefix[i]) {
                return null;
            }
        }
        int end = prefix.length;
        while (end < line.length && end - prefix.length < 64 && line[end] != '"') {
            end++;
        }
        try {
            return Instant.parse(new String(line, prefix.length, end - prefix.length, StandardCharsets.US_ASCII));
        } catch (RuntimeException notATime) {
            return null;
        }
    }

    /**
     * The line that notes, in the file, the records not written to it since the last such line, and
     * how many it notes; {@code null} when there are none.
     */
    private synchronized Object[] gapLine() {
        if (unnoted == 0) {
            return null;
        }
        Instant now = Instant.now();
        lostSinceGapLine = null; // the records lost from here on are the next gap line's
        return new Object[] {line(now, "audit-gap", "", unnoted + (unnoted == 1 ? " record was" : " records"
                + " were") + " not written to this file since " + unnotedSince + " (the JVM's log says why;"
                + " 'jlivepatch status --log' has the last records)", "jlivepatch", "", "", ""), unnoted};
    }

    /** The gap line is in the file: the records lost since it was made are the next line's. */
    private synchronized void gapNoted(long count) {
        unnoted -= count;
        unnotedSince = unnoted == 0 ? null : lostSinceGapLine;
    }

    /** Whether the drain at the JVM's exit has run: for AuditAtExitDriver, which records after it. */
    synchronized boolean drainedAtExit() {
        return drainedAtExit >= 0;
    }

    /** Why records are not being written to this file, or {@code null} when they are. */
    synchronized String currentProblem() {
        return problem == null ? null : problem + (lost == 0 ? "" : " (" + lost
                + (lost == 1 ? " record" : " records") + " not written to it, see 'status --log')");
    }

    /**
     * Queues one record's line; what {@link #awaitWritten} waits for. Called under the AuditLog's lock
     * (pairs with its synchronized block in record), so that the file's order is the log's. Never
     * throws: the operation stands.
     */
    long enqueue(Instant time, String operation, String patch, String outcome, String requester,
                 String source, String sha256, String signer) {
        try {
            return enqueue(line(time, operation, patch, outcome, requester, source, sha256, signer));
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            try {
                failed("a record could not be prepared: " + e, time);
            } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
                // no memory even for that: the in-memory log has the record
            }
            return -1;
        }
    }

    /** One JSON line, ending with a line feed; every value escaped, so it is one line whatever its text. */
    static byte[] line(Instant time, String operation, String patch, String outcome, String requester,
                       String source, String sha256, String signer) {
        StringBuilder sb = new StringBuilder(256)
                .append("{\"time\":").append(Json.string(String.valueOf(time)))
                .append(",\"operation\":").append(Json.string(operation))
                .append(",\"patch\":").append(Json.string(patch))
                .append(",\"outcome\":").append(Json.string(outcome))
                .append(",\"requester\":").append(Json.string(requester))
                .append(",\"source\":").append(Json.string(source))
                .append(",\"sha256\":").append(Json.string(sha256))
                .append(",\"signer\":").append(Json.string(signer))
                .append("}\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Queues {@code line} and waits, within bounds, until the writer is done with it. */
    void append(byte[] line) {
        awaitWritten(enqueue(line));
    }

    /** Queues {@code line}; its number for {@link #awaitWritten}, or -1 when there is nothing to wait for. */
    private synchronized long enqueue(byte[] line) {
        if (queue.size() >= MAX_QUEUED) {
            countLost(timeOf(line));
            // the writer is stuck, which is reported already; after the exit's drain, not any more
            return drainedAtExit >= 0 ? LOST_AFTER_EXIT_DRAIN : -1;
        }
        queue.addLast(line);
        long mine = ++queued;
        notifyAll(); // wakes the writer (its wait in next)
        return stuck && drainedAtExit < 0 ? -1 : mine;
    }

    /** What {@link #enqueue} returns for a line it counted as lost after the exit's drain: said by awaitWritten. */
    private static final long LOST_AFTER_EXIT_DRAIN = -2;

    /**
     * Waits, within bounds, until the writer is done with line number {@code mine} (from
     * {@link #enqueue}); not at all for -1, nor while the writer is stuck, nor once a wait at the
     * JVM's exit gave up ({@link #exitGaveUp}). A line queued after the drain at the JVM's exit:
     * {@link #afterExitDrain}.
     */
    void awaitWritten(long mine) {
        if (mine < 0) {
            if (mine == LOST_AFTER_EXIT_DRAIN) {
                sayAtExit(lostAfterExitDrain());
            }
            return;
        }
        String late = afterExitDrain(mine);
        if (late != null) {
            sayAtExit(late);
            return;
        }
        String report = null;
        synchronized (this) {
            // A line the exit's drain gave up on (only its lines reach here after it: afterExitDrain) is
            // counted and said by the drain already; waited for on, it would hold the exit past its bound.
            if (stuck || exitGaveUp) {
                return;
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitForWriteMs);
            boolean interrupted = false;
            while (done < mine && !interrupted && !exitGaveUp) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    stuck = true;
                    problem = "writing " + shown + " has not ended within " + waitForWriteMs
                            + " ms; records are queued and written when it ends";
                    report = noteProblem(problem);
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left); // pairs with notifyAll in finished, and drain's
                } catch (InterruptedException e) {
                    interrupted = true; // the caller's interrupt stands; its line is queued
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        warn(report);
    }

    /**
     * For line {@code mine} queued after the drain at the JVM's exit (else {@code null}, and the
     * caller waits as usual): waits for it as the drain would have, at most {@link #afterDrainBoundMs}
     * ms, not at all while the writer is stuck or once a wait at the exit gave up, and an interrupted caller too (no drain is left to
     * wait for it). {@code ""} when the writer is done with it by then; else it is counted as not
     * written, and what to say on standard error (the drain's words; Log.atExit: java.util.logging
     * may be reset already).
     */
    private synchronized String afterExitDrain(long mine) {
        if (drainedAtExit < 0 || mine <= drainedAtExit) {
            return null; // no exit yet, or the drain's line: it waits, counts and says
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(afterDrainBoundMs);
        boolean interrupted = Thread.interrupted(); // restored below; timedWait would throw at once
        while (done < mine && !stuck && !exitGaveUp) {
            long wait = deadline - System.nanoTime();
            if (wait <= 0) {
                exitGaveUp = true;
                notifyAll(); // nor do the other lines queued after the drain (their wait here)
                break;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, wait); // pairs with notifyAll in finished
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (done >= mine) {
            // Done with, but it may have failed (a full disk at the exit): said as the drain says such lines.
            String lacks = lostTotal > lostSaidAtExit ? lacking() : null;
            return lacks == null ? "" : lacks;
        }
        countLost(null); // queued or in the writer's hands: its time is a moment ago, now
        return lostAfterExitDrain();
    }

    /** The words for one record counted as lost after the exit's drain, as the drain's for its lines. */
    private synchronized String lostAfterExitDrain() {
        lostSaidAtExit = lostTotal;
        return "audit file: a record made after the drain at the JVM's exit was not written to " + shown + " ("
                + (problem != null ? problem : "writing it had not ended within " + afterDrainBoundMs + " ms")
                + "); the file lacks " + unnoted + (unnoted == 1 ? " record" : " records") + " since "
                + unnotedSince + ", with no gap line";
    }

    /** Says {@code report} on standard error as the exit's drain does; nothing for null or "". */
    private static void sayAtExit(String report) {
        if (report == null || report.isEmpty()) {
            return;
        }
        try {
            Log.atExit().log(System.Logger.Level.WARNING, (java.util.ResourceBundle) null, report, (Throwable) null);
        } catch (Throwable ignored) {
            // as the drain's: a log back-end's failure changes nothing, and the JVM exits
        }
    }

    /**
     * Counts a record the audit log could not place at all (no memory for it: AuditLog.placeOrCount, under the log's
     * lock; or for its fields, AuditLog.record, before it), at {@code time}: noted by the next gap line and in status as any record not written. Allocates nothing,
     * as what memory cannot hold is counted; no problem set (the writer has none), the log's warning says why.
     */
    synchronized void notPlaced(Instant time) {
        countLost(time);
    }

    /** Counts a record that never reached the queue. */
    private void failed(String why, Instant recordTime) {
        String report;
        synchronized (this) {
            countLost(recordTime);
            problem = why;
            report = noteProblem(why);
        }
        warn(report);
    }

    /** The writer: opens the file, then writes each queued line; it ends with the JVM. */
    @Override
    public void run() {
        // jlivepatch's own thread: marked (never runs a replacement, hooks it meets run the original)
        // while it writes, never while it waits: a mark held for the JVM's life would send every
        // hooked call down the recursion guard's slow path (Recursion.outside).
        int mark = RecursionGuard.enterIfActive();
        try {
            // Before each write: left set, the file's channel closes at the write (ClosedByInterruptException)
            // and the open that follows is refused at once (BoundedOpen keeps a caller's interrupt), so the
            // line, and every line after it until the queue ran empty, was lost (counted, its gap noted).
            OwnThread.clearApplicationInterrupt();
            // Opened (created 0600) at once, so that a problem shows in status before the first record.
            opened(write(null));
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // logging it failed; the problem is recorded before it is logged
        } finally {
            RecursionGuard.exit(mark);
        }
        while (true) {
            byte[] line;
            try {
                line = next();
            } catch (InterruptedException e) {
                continue; // nobody but the JVM's end stops the writer
            }
            mark = RecursionGuard.enterIfActive();
            try {
                OwnThread.clearApplicationInterrupt(); // as before the first open: it must not cost the line
                String failure;
                try {
                    // A loss is noted in the file before the next line that gets there.
                    Object[] gap = gapLine();
                    failure = gap == null ? null : write((byte[]) gap[0]);
                    if (gap != null && failure == null) {
                        gapNoted((Long) gap[1]);
                    }
                    if (failure == null) {
                        failure = write(line);
                    }
                } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                    // No memory for the gap's line, say: this line is lost and counted as lost, and the
                    // writer lives on (ended, it would leave every later record waiting and status saying
                    // the file "is written when it ends" for good).
                    failure = "a record could not be written: " + e.getClass().getName();
                }
                try {
                    finished(failure, line);
                } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
                    // as above
                }
            } finally {
                RecursionGuard.exit(mark);
            }
        }
    }

    private synchronized byte[] next() throws InterruptedException {
        while (queue.isEmpty()) {
            wait(); // pairs with notifyAll in append
        }
        return queue.removeFirst();
    }

    /**
     * Writes one line, opening the file first if needed (only opens it for {@code null}); the
     * problem in words, or {@code null}.
     */
    private String write(byte[] line) {
        try {
            if (out != null && line != null && !out.stillAt(file)) {
                // Moved, removed or replaced since it was opened: the trail goes on at the path, in a
                // new file (checked like the first), not in one nobody reads any more.
                closeQuietly();
                Log.get().log(System.Logger.Level.INFO, "audit file: " + shown + " was moved, removed or"
                        + " replaced; appending to the file at that path from now on", (Throwable) null);
            }
            openAndWrite(line);
            return null;
        } catch (PrivateAppendFile.Problem e) {
            closeQuietly();
            return "cannot write " + shown + ": " + e.getMessage();
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            closeQuietly();
            return "cannot write " + shown + ": " + e;
        }
    }

    /**
     * Opens the file if it is not open, then writes {@code line} (none for {@code null}). An interrupt
     * that lands during the open or the write (application code that interrupts every thread; the one
     * found set before the line was cleared) is not the line's loss: an open it stopped waiting for is
     * asked again, and a write it cut short closed the file's channel, so the file is opened again,
     * checked as at any open, and the line completed there ({@link PrivateAppendFile#resume}: the rest in
     * the same file, the whole line in a file that replaced it meanwhile), so it is in the file once and
     * whole. Before, the line was lost (counted, its gap noted), for an interrupted open too: the first
     * record of a JVM that interrupts every thread every millisecond went so. At most
     * {@link #INTERRUPTED_WRITE_TRIES} times in a row after the first, each after clearing the interrupt:
     * an application that interrupts faster than a line is written gets a problem, as any failure, not a loop.
     */
    private void openAndWrite(byte[] line) throws PrivateAppendFile.Problem {
        PrivateAppendFile.Interrupted cut = null; // the line's last cut write: what of it reached which file
        for (int tries = 0; ; tries++) {
            try {
                if (out == null) {
                    out = PrivateAppendFile.open(file);
                }
                if (line != null) {
                    if (cut == null) {
                        out.write(line);
                    } else {
                        out.resume(cut, line);
                    }
                }
                return;
            } catch (PrivateAppendFile.Interrupted e) {
                closeQuietly(); // a write's channel is closed; an open's is none
                if (e.cutAWrite()) {
                    cut = e;
                    if (e.rest().length == 0) {
                        return; // all of it was written before the interrupt was reported
                    }
                }
            }
            OwnThread.clearApplicationInterrupt(); // before the open: BoundedOpen keeps a caller's interrupt
            if (tries == INTERRUPTED_WRITE_TRIES) {
                throw new PrivateAppendFile.Problem("its opens and writes were interrupted " + INTERRUPTED_WRITE_TRIES
                        + " times in a row after the first (application code interrupts jlivepatch's threads)");
            }
        }
    }

    private void closeQuietly() {
        PrivateAppendFile f = out;
        out = null; // opened again, and checked again, for the next record
        if (f != null) {
            f.close();
        }
    }

    private void opened(String failure) {
        if (failure == null) {
            return;
        }
        String report;
        synchronized (this) {
            problem = failure;
            report = noteProblem(failure);
        }
        warn(report);
    }

    /**
     * Records the outcome of a line's write and logs a new problem or the recovery; only then
     * releases the record waiting for the line, so that the operation returns with its log line out.
     */
    private void finished(String failure, byte[] line) {
        String report;
        String recovered = null;
        synchronized (this) {
            stuck = false;
            if (failure == null) {
                if (problem != null) {
                    recovered = "audit file: writing " + shown + " again" + (lost == 0 ? "" : "; " + lost
                            + (lost == 1 ? " record was" : " records were") + " not written to it");
                }
                problem = null;
                lost = 0;
                logged = null; // the same problem, if it comes back, is logged again
                report = null;
            } else {
                countLost(timeOf(line));
                problem = failure;
                report = noteProblem(failure);
            }
        }
        try {
            warn(report);
            if (recovered != null) {
                Log.get().log(System.Logger.Level.INFO, recovered, (Throwable) null);
            }
        } finally {
            synchronized (this) {
                done++;
                notifyAll(); // wakes the records waiting for their line (the wait in append)
            }
        }
    }

    /** {@code why}, when it was not the problem logged last (caller holds this). */
    private String noteProblem(String why) {
        if (why.equals(logged)) {
            return null;
        }
        logged = why;
        return why;
    }

    private static void warn(String problem) {
        if (problem != null) {
            Log.get().log(System.Logger.Level.WARNING, "audit file: " + problem
                    + "; operations go on, recorded in memory only ('jlivepatch status --log')", (Throwable) null);
        }
    }
}
