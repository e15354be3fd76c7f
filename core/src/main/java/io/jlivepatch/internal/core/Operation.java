package io.jlivepatch.internal.core;

import java.util.ArrayList;
import java.util.List;

/**
 * One life-cycle operation under way on its thread (the outermost of {@code PatchRegistry.locked}, from
 * its start; its entry's stretch before that, {@link #before}, a load's {@link #preparation}; a command's
 * load from its JAR's announcement, {@code PatchRegistry.receivingJar}; a transition's end on the
 * worker while its closing callbacks run; the callbacks of a class defined later, at its first call,
 * {@link #late}): what was asked, by whom, how far it got, and the records it keeps for after its own
 * line (those of a transition it ended, {@code PatchRegistry.finish}). The JVM
 * may exit in the middle of it (one of
 * its callbacks calls {@code System.exit}, or another thread does): its thread then never gets to
 * those records, nor to its own line, and the audit file's drain at the exit records them from here
 * instead ({@link #takeAtExit}, {@code PatchRegistry.recordUnfinishedAtExit}).
 *
 * <p>Each kept record is taken once, under this object's monitor, by the operation's thread at its end
 * ({@link #next}) or by the exit, whichever comes first, so that none is written twice nor left. The
 * exit writes a line for the operation itself only while its own line (its outcome, or its refusal) is
 * not recorded yet ({@link #ownLineMade}) and it has not ended. An operation that goes on after the
 * exit's record (another thread's exit, a slow shutdown hook) still writes what it makes after it, its
 * own line included: the file then says that the exit began during it, and how it ended before the
 * JVM did.
 *
 * <p>The monitor is held only for a few field writes, never while a callback or a write runs: the
 * exit's hook may take it whatever the operation's thread is doing (klpMutex is another matter: the
 * exit never waits for that).
 */
final class Operation {

    final String name;
    /** What its line names; a preparation's changes once, to the JAR's path, when it arrives after its content. */
    volatile String subject;
    final String requester;

    /**
     * An operation's stretch before its lock, from its entry ({@link #before}; a load's, its JAR read and
     * checked, {@link #preparation}): the operation under the lock that follows takes its place while it runs
     * ({@code PatchRegistry.locked}).
     */
    final boolean preparation;
    /**
     * The callbacks of a class defined after its patch was enabled, run by its first call ({@link #late}):
     * the exit's line names the class loader of the class whose callback was running.
     */
    final boolean late;
    /**
     * The load's {@link #preparation} it takes the place of while it runs (PatchRegistry.locked), or null.
     * Written once by its thread before it is under way; its thread's only.
     */
    Operation inPlaceOf;
    /**
     * The patch's provenance for the exit's line; null for none (a patch built in code, a JAR not read
     * yet). Written once more by a preparation's thread when it has read the JAR, and by an enable's (a
     * load's) when a trust policy raised since the registration names the patch's signer
     * ({@link #provenanceReplaced}); read by the exit's hook.
     */
    private volatile Provenance provenance;
    /**
     * A load's {@link #preparation} begun before its JAR was read (a file's, a JAR received): the first read
     * on its thread is its own, and {@link #knownAs} takes it; any later one is a load nested in it (asked
     * for by code its preparation runs, a class's initializer), refused, whose JAR it must not take for its
     * own. Its thread's only.
     */
    private boolean awaitsRead;
    /**
     * It has not taken jlivepatch's lock (it waits for it, or prepares a load's JAR): nothing it does
     * can have changed anything yet, and the exit's line says so. Written by the operation's thread.
     */
    private volatile boolean beforeLock;
    /**
     * How far it had changed things, said by the exit's line ({@code patching complete}), or null
     * while nothing had. Written by the operation's thread; read by the exit's hook.
     */
    private volatile String effect;
    /**
     * The transition whose end its line stands for from now on ({@code PatchRegistry.finish0}: one that ended inside
     * it, or the worker's closing one), or null. Written before its {@link #effect} says "complete", and read by the
     * exit after it (pairs with that read, PatchRegistry.unfinishedAtExit): an exit that finds this operation's line
     * saying the end complete finds the claim too, and writes no "in progress" line of the transition against it.
     */
    private volatile Object endOf;
    /** What it was waiting for when the exit came ({@code its postPatch callback for ...}), or null. */
    private volatile String running;
    /**
     * Nested operations of its thread inside it (a refused call from a callback), whose lines are
     * theirs, not its own. Its thread's only.
     */
    private int nested;

    // Guarded by this.
    private final List<Object[]> kept = new ArrayList<>();
    private boolean ownLine;
    private boolean ended;

    Operation(String name, String subject, String requester, Provenance provenance) {
        this(name, subject, requester, provenance, false, false);
    }

    private Operation(String name, String subject, String requester, Provenance provenance, boolean preparation,
                      boolean late) {
        this.name = name;
        this.subject = subject;
        this.requester = requester;
        this.provenance = provenance;
        this.preparation = preparation;
        this.late = late;
        this.beforeLock = preparation;
    }

    /**
     * The callbacks of patch {@code patch} for a class defined after it was enabled, which the class's first
     * call runs on whatever application thread made it ({@code LateCallbacks}): nobody asked for them, so
     * on record as jlivepatch's {@code link} of the patch, as a link failure of such a class is.
     */
    static Operation late(String patch, Provenance provenance) {
        return new Operation("link", patch, LinkFailureAudit.REQUESTER, provenance, false, true);
    }

    /**
     * A load's {@link #preparation}: {@code jar}, the JAR's path or source, is what the exit's line names,
     * with what it was doing ({@code its patch JAR was being read and checked}).
     */
    static Operation preparation(String jar, String requester, Provenance provenance) {
        Operation op = new Operation("load", jar, requester, provenance, true, false);
        op.running = "its patch JAR was being read and checked";
        op.awaitsRead = provenance == null;
        return op;
    }

    /**
     * An operation of an entry of the API's from the entry's first step ({@code PatchRegistry.entered}: the hooks'
     * first activation, the checks before its lock): nothing it does can have changed anything yet, and the
     * exit's line says so ({@code it had not taken effect, nothing changed}).
     */
    static Operation before(String name, String subject, String requester) {
        return new Operation(name, subject, requester, null, true, false);
    }

    /**
     * What the JAR's read told of it, for the exit's line of a {@link #preparation}: its path too, for one
     * that began before it was known (a JAR received over the control socket). Only the first read of one
     * begun without it ({@link #awaitsRead}); a no-op for any other operation.
     */
    void knownAs(Provenance read) {
        if (!awaitsRead || read == null) {
            return; // its own JAR's read came already (or it names none): a nested load's is not its
        }
        awaitsRead = false;
        provenance = read;
        if (read.source() != null && !read.source().isEmpty()) {
            subject = read.source();
        }
    }

    /**
     * The patch's record {@code was} is {@code now} (PatchRegistry.checkTrust: the signer a trust policy
     * raised since its registration found): the exit's line names it too, as the operation's own line
     * will. A no-op unless it named {@code was}: an operation of another patch, or one nested in it.
     * Its thread's, under jlivepatch's lock.
     */
    void provenanceReplaced(Provenance was, Provenance now) {
        if (provenance == was) {
            provenance = now;
        }
    }

    /** Whether it waits for jlivepatch's lock now, before which nothing it does changes anything. */
    void beforeLock(boolean waiting) {
        beforeLock = waiting;
    }
    /** From now on its line stands for the end of transition {@code t} ({@link #endOf}); before its effect says so. */
    void claimEnd(Object t) {
        endOf = t;
    }

    /** Whether its line stands for the end of transition {@code t}; read after its effect ({@link #endOf}). */
    boolean claimsEnd(Object t) {
        return t != null && endOf == t;
    }

    void effect(String what) {
        effect = what;
    }

    /** Sets what it waits for now; returns what it waited for before, for {@link #running(String)} after. */
    String running(String what) {
        String before = running;
        running = what;
        return before;
    }

    void enterNested() {
        nested++;
    }

    void exitNested() {
        nested--;
    }

    /** Whether a line of {@code operation} on {@code subject} made on its thread now is its own. */
    boolean isOwnLine(String operation, String subject) {
        return nested == 0 && name.equals(operation) && String.valueOf(this.subject).equals(subject);
    }

    /**
     * Keeps a record ({operation, subject, outcome, provenance, requester}) for after its own line; false
     * once it has ended, and the caller records it itself.
     */
    synchronized boolean keep(Object[] record) {
        if (ended) {
            return false;
        }
        kept.add(record);
        return true;
    }

    /**
     * Its own line is recorded: the exit adds none. Marked after the record, so that an exit between
     * the two writes both lines rather than neither.
     */
    synchronized void ownLineMade() {
        ownLine = true;
    }

    /** Whether its own line is recorded, by its thread or by the exit. */
    synchronized boolean lineMade() {
        return ownLine;
    }

    /**
     * Its end, on its thread: from now on the exit writes no line for it, only what it kept and its
     * thread has not taken yet ({@link #next}).
     */
    synchronized void end() {
        ended = true;
    }

    /**
     * The next record it kept, taken for its thread to write, or null when none is left (written, or
     * taken by the exit). One at a time, so that an exit while its thread writes them takes the rest:
     * its thread may not get to them before the JVM ends.
     */
    synchronized Object[] next() {
        return kept.isEmpty() ? null : kept.remove(0);
    }

    /**
     * At the JVM's exit: adds the records it kept and its thread has not taken to {@code out}, and returns
     * whether the exit writes its own line too (cut short, {@link #outcomeAtExit}): not when it made that
     * line already, nor once it has ended. What it keeps from now on is its own to write again.
     */
    synchronized boolean takeAtExit(List<Object[]> out) {
        boolean needsLine = !ownLine && !ended;
        ownLine = true; // the exit's line is its line now
        out.addAll(kept);
        kept.clear();
        return needsLine;
    }

    Provenance provenance() {
        return provenance;
    }

    /**
     * {@code cut short: the JVM exited during it (it had taken effect, patching complete; its postPatch
     * callback for com.acme.Cache was running)}.
     */
    String outcomeAtExit() {
        String did = effect;
        String doing = running;
        return "cut short: the JVM exited during it (" + (did == null ? "it had not taken effect"
                + (beforeLock ? ", nothing changed" : "") : "it had taken effect, " + did)
                + (doing == null ? "" : "; " + doing) + ")";
    }
}
