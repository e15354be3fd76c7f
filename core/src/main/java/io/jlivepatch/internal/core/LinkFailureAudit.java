package io.jlivepatch.internal.core;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.OwnThread;
import io.jlivepatch.internal.patch.ActiveFunction;
import io.jlivepatch.internal.patch.HookLedger;
import io.jlivepatch.internal.patch.LoaderNames;
import io.jlivepatch.internal.patch.RecursionGuard;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Audits each function of an enabled patch that failed in a class loader that defined its class
 * later (a webapp deployed after the patch, an older copy of a library): the hook could not be put
 * in (the class lacks the method, or has it static) or the replacement did not fit at link time.
 * Status shows those as {@code FAILED}; this makes them audit entries too, once per registration of a
 * patch, class loader and function: {@code link <patch> by jlivepatch: failed in class loader <loader>:
 * <class>.<method> keeps its own code: <reason>}. The hooks put into such a class, which change a
 * running class's code with no operation's line, are logged and audited here too ({@link AppliedLater}).
 *
 * <p>The failures are found on the thread that defines or links the class, holding a class
 * loader's locks or Dispatch's link lock, where an audit entry (a lock, a file, a JFR event, classes
 * to load) could deadlock: {@link HookLedger} queues them lock-free and unparks this class's thread,
 * which writes them. Ordering point: the ledger's queue (its add happens-before this thread's poll),
 * and unpark after the add pairs with the poll after park returns, so no failure is left unread
 * while this thread parks.
 *
 * <p>The ledger's queue is bounded ({@link HookLedger#MAX_QUEUED_FAILURES}): while this thread is
 * blocked (the application's log back-end does not return, the audit file's disk stalls), or while the
 * events are held back behind an operation's line ({@link HookLedger#holdFromNow}: an enable whose
 * postPatch callback deploys a webapp, say), the events beyond are counted, and once it catches up it
 * logs a warning and records how many it did not record, of which kind, since when and why, which of
 * the two it was ({@link LinkAuditGap}). It is a daemon: at the JVM's exit
 * the audit file's drain has what it left written first ({@link #atExit}).
 */
final class LinkFailureAudit implements Runnable {

    /** The requester of these entries: nobody asked, jlivepatch found it. */
    static final String REQUESTER = "jlivepatch";

    private final PatchRegistry registry;
    private final HookLedger ledger;
    private final AuditLog audit;
    /**
     * Made with the registry (at install, on the installing thread: {@link OwnThread} says why); the
     * first enable may come from a webapp's thread. Started once, under the registry's klpMutex
     * ({@link #start}).
     */
    private final Thread thread;
    /** Written once under the registry's klpMutex ({@link #start}), read under it. */
    private boolean started;

    /**
     * Only this class's thread uses it: what was audited, by registration (its {@link #label}, one object
     * per registration, held by its functions and the events that name it) and by class loader (null,
     * the boot loader: WeakHashMap holds its null key strongly), so that it forgets what can no longer
     * recur. Weak both ways: a loader that is gone defines no class again; a registration whose label
     * nothing holds any more (no function, no queued event) has no event to come. And an unregistered
     * registration's goes at once ({@link #forget}), even while the application keeps its handle. No
     * value refers to its key (strings only): a WeakHashMap whose value held its key would never let go.
     * Looked up by the label's equals (a name and its registration's own provenance cell): equal for one
     * registration only.
     */
    private final Map<Object, Map<ClassLoader, Set<String>>> audited = new WeakHashMap<>();
    /**
     * The labels of the registrations unregistered since this thread last looked ({@link #forget}), to
     * be forgotten once the events queued before are written. Guarded by its own monitor, held for an
     * add or a swap only, never while another lock is taken.
     */
    private final ArrayList<Object> unregistered = new ArrayList<>();
    /** Whether {@link #unregistered} has any: written under its monitor, read by this thread before it parks. */
    private volatile boolean forgetting;
    /** Only this class's thread uses it: the hooks put into classes defined later ({@link HookLedger#applied}). */
    private AppliedLater applied;

    /**
     * Held while events are taken from the ledger and written: by this class's thread, and at the JVM's
     * exit by the audit file's drain ({@link #atExit}), which writes what the thread left (all of it
     * when the thread never started). So "this class's thread only" above means the holder of this
     * lock: its unlock happens-before the next holder's lock, which then sees what the last one wrote.
     * Nothing else is taken before it; under it, the AuditLog's monitor and the log's (as before), and
     * {@link #unregistered}'s, under which nothing is taken.
     */
    private final ReentrantLock writing = new ReentrantLock();
    /** Under {@link #writing}: the exit's pass, whose records are queued for the drain, its lines on standard error. */
    private boolean atExit;
    /**
     * Under {@link #writing}: the time just before the dropped events were last taken, the "since" of
     * a count whose first time the ledger missed ({@link HookLedger#takeDropped}).
     */
    private long lastTakenMillis = System.currentTimeMillis();
    /**
     * How long the JVM's exit waits, at most, for this thread to let go and for the events left to be
     * written ({@link #atExit}): the audit file's drain's bound, before it. Not at all when nothing is
     * queued and the thread is parked, the usual exit.
     */
    static final long AT_EXIT_MS = 1000;
    /** {@link #AT_EXIT_MS}; a test raises it, before the exit, so that a wait that runs out shows as a hang. */
    static volatile long atExitBoundMs = AT_EXIT_MS;

    LinkFailureAudit(PatchRegistry registry, HookLedger ledger, AuditLog audit) {
        this.registry = registry;
        this.ledger = ledger;
        this.audit = audit;
        this.thread = new OwnThread(this, "jlivepatch-link-audit");
    }

    /**
     * Starts the thread, once; from then on the ledger queues failures for it. Called under klpMutex
     * when a patch is enabled, before its hooks exist: a JVM that never enables one has no such thread.
     */
    void start() {
        if (started) {
            return;
        }
        ledger.failureReader(thread); // before the start: no failure is queued for a reader not running yet
        io.jlivepatch.internal.ModuleOpenings.auditedBy(thread);
        thread.start(); // what fails (no native thread) leaves it not started: the next enable tries again
        started = true;
    }

    @Override
    public void run() {
        while (true) {
            // Marked only when the lock looks free: a wake-up while an operation holds it (for as long as a
            // callback runs) takes no hook's guard off its constant.
            if (io.jlivepatch.internal.ModuleOpenings.pending() && !registry.lockTaken()) {
                int mark = RecursionGuard.enter();
                try {
                    for (String opening : registry.openingsIfIdle()) {
                        audit.record("open", opening, "ok (outside any operation: a class defined later)", REQUESTER,
                                null);
                    }
                } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
                    // the opening stands in status and in the log even when its entry finds no memory
                } finally {
                    RecursionGuard.exit(mark);
                }
            }
            // Looks at the queue and its count of events dropped first (HookLedger.failuresWaiting: atomics of
            // java.util.concurrent, which no patch can hook, Patchability) and marks itself only when there is
            // work: a wake-up with nothing queued
            // (a spurious one, or the permit of a failure polled in the previous round) then takes no
            // hook's guard off its constant (RecursionGuard; GuardSwitchTest). Marked (the hooks it meets,
            // an audited JDK method, run the original code) while it audits, never while it parks: a mark
            // held for the JVM's life would keep every hook's guard off its constant (Recursion.outside).
            if (ledger.failuresWaiting() || forgetting) {
                // Taken before the mark (ReentrantLock: java.util.concurrent, which no patch can hook); held
                // otherwise only by the exit's pass, for a bounded time.
                writing.lock();
                try {
                    int mark = RecursionGuard.enter();
                    try {
                        // In this order: the registrations unregistered so far, then every event queued, then
                        // they are forgotten. An event queued before its patch's unregistration (one that
                        // failed while it was enabled: LateLoaderAuditTest) is in the queue when its label is
                        // taken here, so it is written, or found written, before its registration is forgotten.
                        Object[] gone = takeUnregistered();
                        writeQueued(false, 0);
                        forgetAll(gone);
                    } finally {
                        RecursionGuard.exit(mark);
                    }
                } finally {
                    writing.unlock();
                }
            }
            // An opening found with klpMutex held is its holder's to audit when that holder is an operation
            // (its report takes it, as the one that caused it); the holders that report nothing (the
            // in-flight follow-up, a late class's callbacks) unpark this thread as they let go
            // (ModuleOpenings.wakeAuditorIfPending). Not a timed retry: it would take an operation's
            // opening between its unlock and its report, and audit it as nobody's.
            OwnThread.clearApplicationInterrupt();
            LockSupport.park(this); // returns at once when the ledger or an opening unparked it since the last poll
        }
    }

    /**
     * What the failures of {@code patch} are audited under, its {@link ActiveFunction#label}: its name
     * and its provenance, nothing that holds its JAR's class loader. A Map.Entry, not a record of its own:
     * each class jlivepatch defines counts in a JVM's first load, which registers a patch (issue 10,
     * FootprintIT). The provenance in a cell that {@link #provenance(Object, Provenance)} replaces when a
     * trust policy raised since the registration checks the JAR at its enable and names its signer
     * (RegisteredPatch.checkedBy): a link line written after that names the signer, as status and the
     * operations' lines do, not the "unsigned" of the registration. One cell per registration: the label
     * equals only itself, which is what {@link #audited} is keyed by.
     */
    static Map.Entry<String, AtomicReference<Provenance>> label(String patch, Provenance provenance) {
        return Map.entry(patch, new AtomicReference<>(provenance)); // never null: a registered patch has one
    }

    /** The provenance of {@code label} ({@link #label}) as it is now. */
    static Provenance provenanceOf(Object label) {
        return (Provenance) ((AtomicReference<?>) ((Map.Entry<?, ?>) label).getValue()).get();
    }

    /**
     * {@code label}'s registration has provenance {@code now} from here on (RegisteredPatch.checkedBy, under
     * klpMutex): the cell is volatile, read by this class's thread as it writes each line.
     */
    @SuppressWarnings("unchecked")
    static void provenance(Object label, Provenance now) {
        ((AtomicReference<Provenance>) ((Map.Entry<?, ?>) label).getValue()).set(now);
    }

    /**
     * Under {@link #writing}: writes the queued events, then what was dropped meanwhile, if anything.
     * {@code bounded} (the exit's pass): stops at {@code deadline} ({@link System#nanoTime}), false then,
     * with events left.
     */
    private boolean writeQueued(boolean bounded, long deadline) {
        long written = 0;
        HookLedger.LinkEvent e;
        while ((e = ledger.nextFailure()) != null) {
            inHand = e;
            try {
                gathering = true;
                audit(e);
            } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
                // the failure stands in status and in the log even when its entry finds no memory
            } finally {
                gathering = false;
                boolean counted = place(e, rows);
                rows.clear(); // holds no event's names until the next
                inHand = null;
                if (!counted) {
                    // after its lines: a late class's callbacks' line waits for its hooks' (afterHooks)
                    thenWrite(e, atExit, true);
                }
                // Else the exit counted the event as it waited for this thread: its attached lines are the exit's
                // to write, after its count and queued for the drain (atExit's thenWrite of the held event). Taken
                // here, this thread, just let go from a block, wrote them as its own, possibly after the drain
                // (CallbacksTest...TheExitsToWriteWhenTheThreadLetsGoAfterTheExitCountedItsEvent). So too when
                // place met an Error before the event's marking (counted is false then, whatever the exit did):
                // the take leaves a counted event's lines to the exit, deciding with its count under the event's
                // monitor (CallbacksTest...WhenTheThreadFindsNoMemoryForItAfterTheExitCountedItsEvent).
            }
            // A thread always behind never finds the queue empty: the drops go on record at least once
            // per queue's worth (they came after the events queued when they were dropped).
            if (++written % HookLedger.MAX_QUEUED_FAILURES == 0) {
                recordDropped();
            }
            if (bounded && System.nanoTime() - deadline > 0) {
                return false;
            }
        }
        recordDropped();
        return true;
    }

    /** Under {@link #writing}: the events dropped since the last time, if any, in a warning and a record. */
    private void recordDropped() {
        try {
            long before = System.currentTimeMillis();
            long[] dropped = ledger.takeDropped();
            long since = lastTakenMillis;
            lastTakenMillis = before; // a drop the next take finds came after this take began
            if (dropped != null) {
                long first = dropped[HookLedger.DROPPED_SINCE];
                gap(LinkAuditGap.overflow(dropped, first != 0 ? first : since, ledger.failureBound(),
                        ledger.droppedBehind()), atExit);
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // No memory for the gap's text or record, say: that count is lost as an event's entry is
            // (audit's catch above), and the thread lives on. Out of this method, the error would end
            // the thread (nothing in run catches it), and every later event would only be counted.
        }
    }

    /** {@code text} as a warning and an audit record ({@code audit-gap link}); at the exit, as the exit's. */
    private void gap(String text, boolean exiting) {
        (exiting ? Log.atExit() : Log.get()).log(System.Logger.Level.WARNING, "link audit: " + text);
        if (exiting) {
            audit.recordAtExit("audit-gap", "link", text, REQUESTER, null);
        } else {
            audit.record("audit-gap", "link", text, REQUESTER, null);
        }
    }

    /**
     * The event {@link #writeQueued} is writing, taken from the queue and not written yet, else null:
     * an exit that cannot wait for the thread holding it (blocked in the log's back-end, say) counts it
     * with those left in the queue. Written by the lock's holder, read by the exit's pass without it.
     */
    private volatile HookLedger.LinkEvent inHand;

    /** Under {@link #writing}: the logger of the lines written now: at the exit, standard error ({@link Log#atExit}). */
    System.Logger log() {
        return atExit ? Log.atExit() : Log.get();
    }

    /**
     * Under {@link #writing}: the records made for the event in hand ({@link Row}), placed together once it is
     * audited ({@link #place}); empty between events. One list for the thread's life, not one per event: a list
     * that found no memory left the records of its event to be placed one by one, each as it was made, outside the
     * event's one decision (LinkEvent.placeAll), so that the exit could count the event and see some of them
     * written after.
     */
    private final ArrayList<Row> rows = new ArrayList<>(2);
    /** Under {@link #writing}: whether an event is being audited, its records gathered in {@link #rows}. */
    private boolean gathering;

    /**
     * Under {@link #writing}: an audit record of jlivepatch's, of the event in hand: kept with the event's other
     * records, to be placed with them ({@link #place}).
     */
    void record(String operation, String patch, String outcome, Provenance provenance) {
        if (gathering) {
            rows.add(new Row(operation, patch, outcome, provenance));
        } else if (atExit) {
            audit.recordAtExit(operation, patch, outcome, REQUESTER, provenance);
        } else {
            audit.record(operation, patch, outcome, REQUESTER, provenance);
        }
    }

    /**
     * Under {@link #writing}: the records {@code made} for event {@code e}.
     * At the exit, queued for the drain (this pass is the only writer). Else all of them and the lines attached
     * to the event ({@link #afterHooks}: two patches' callbacks' lines, a callback's failure) as one decision
     * (AuditLog.recordEvent): placed together, or none when the exit counted the event as not recorded (it gave
     * up waiting for this thread, then the thread let go). Placed one by one, this thread held after the first
     * (the file's write, a slow disk) left the exit seeing the event placed, not counting it, and the others
     * came after the exit's lines, lost after the drain (LinkAuditAtExitTest). True when the exit counted the
     * event (none placed: its attached lines are the exit's to write). Never throws.
     */
    private boolean place(HookLedger.LinkEvent e, List<Row> made) {
        try {
            if (atExit) {
                // Each its own: one try for them all, an Error in one (it passed place's then) ended the rest,
                // uncounted. recordAtExit counts a record it cannot place; this catch is for what is left.
                for (Row row : made) {
                    try {
                        audit.recordAtExit(row.operation(), row.patch(), row.outcome(), REQUESTER, row.provenance());
                    } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
                        // the next row is tried all the same
                    }
                }
            } else {
                return !audit.recordEvent(made, REQUESTER, e);
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // the failure stands in status and in the log even when its entries find no memory
        }
        return false;
    }

    /**
     * At the JVM's exit, before the audit file's drain waits (PatchRegistry.recordUnfinishedAtExit, run by
     * it): the events still queued, and the count of those dropped, put on record, within
     * {@link #atExitBoundMs}. This class's thread is a daemon, and what it had not written when the JVM
     * ended was lost (all of it, had it never started). Waits for the thread to let go of what it
     * writes, then writes the rest itself, its records queued for the drain's one bound, its lines on
     * standard error (java.util.logging may be reset already: {@link Log#atExit}). Not at all when
     * nothing is queued and the thread is parked, the usual exit: no exit takes longer for it. The
     * same mechanism as the drain's (ClosedAtExit's hook), not a hook of its own.
     *
     * <p>When the bound runs out (the thread blocked in the log's back-end or in a record that does not
     * return, or more events than the time allows), nothing more can be done: the JVM exits. The events
     * left are counted and said, as not recorded, on standard error and in a record of their own. Never
     * throws.
     */
    void atExit() {
        // In this order: the queue, then the lock. Nothing queued, then the lock free: an event taken
        // before the first look was taken under the lock (the thread locks, then polls), and is written
        // once the lock is free. The other way round, the thread could lock and take the last event
        // between the two looks, and its record come after the drain's count (LinkAuditAtExitOrderTest).
        if (!ledger.failuresWaiting() && !writing.isLocked()) {
            return;
        }
        long bound = atExitBoundMs;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(bound);
        boolean locked = false;
        try {
            locked = writing.tryLock(bound, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the exit goes on: what is left is counted below
        }
        try {
            if (locked) {
                atExit = true;
                if (writeQueued(true, deadline)) {
                    return;
                }
            }
            // What was dropped is this pass's to say (each count is taken once). The thread, when it holds
            // the lock, is blocked and takes none meanwhile, so the first drop's time is known.
            long[] dropped = ledger.takeDropped();
            if (dropped != null) {
                long first = dropped[HookLedger.DROPPED_SINCE];
                gap(LinkAuditGap.overflow(dropped, first != 0 ? first : locked ? lastTakenMillis
                        : System.currentTimeMillis(), ledger.failureBound(), ledger.droppedBehind()), true);
            }
            long[] left = new long[5];
            long total = 0;
            // The blocked thread's, not recorded either; once counted, never recorded after (LinkEvent.placeAll). One
            // whose record has its place already is in the audit file's queue, which the drain writes: not counted.
            HookLedger.LinkEvent held = locked ? null : inHand;
            if (held != null && held.countedAtExit()) {
                left[HookLedger.kindOf(held)]++;
                total++;
            }
            HookLedger.LinkEvent e;
            List<HookLedger.LinkEvent> counted = new ArrayList<>();
            while ((e = ledger.nextFailure()) != null) {
                left[HookLedger.kindOf(e)]++;
                total++;
                counted.add(e);
            }
            if (total > 0) {
                gap(LinkAuditGap.atExit(left, bound, locked), true);
            }
            // What ran at a late class's first call is on record even when its hooks' line is only counted:
            // after the count, which says those lines are missing. The blocked thread's event first (taken
            // before the rest): left to that thread, its lines were lost with it when it never let go
            // (CallbacksTest...ExitCountsItsHooksLine). So too when its record has its place already (not
            // counted): it is in the file's queue, ahead of these, and the thread, blocked after it (the file's
            // write, say), wrote them only once it let go, after the drain (CallbacksTest...IsPlacedAndTheThread
            // Held). Each line once (HookLedger.written takes them): a placed event's went with its records
            // (LinkEvent.placeAll); a counted one's are this pass's, the thread leaving them should it let go
            // meanwhile, even after an Error (writeQueued); the thread takes them first only for an event it
            // could not place at all (an Error) before this pass counted it.
            if (held != null) {
                thenWrite(held, true, false);
            }
            for (HookLedger.LinkEvent c : counted) {
                thenWrite(c, true, false);
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // the JVM exits either way; what was recorded before this is queued
        } finally {
            if (locked) {
                atExit = false;
                writing.unlock();
            }
        }
    }

    /**
     * A line of what ran at the first call of {@code owner}, a class defined after the patch of {@code label} was
     * enabled (on the calling thread, under klpMutex): the {@code link} line of its callbacks
     * (PatchRegistry.lateOnRecord), the {@code callback} line of one that failed there (PatchRegistry.callbackFailed:
     * a prePatch that refused, a postPatch that threw). After the line of the hooks the class got as it was
     * defined, which this class's thread writes: a reader of the trail saw callbacks run, or refuse, for a class
     * not hooked yet when the calling thread wrote first (each thread in its own time). So when that event is still
     * queued (or being written), the line goes with it, written by whoever writes it, right after it
     * ({@link HookLedger#after}); else (written already, dropped over the queue's bound, or none made) it is
     * written now. Never waits for this class's thread: the calling thread is the application's, at a call of its
     * class. {@code provenance}: the patch's as it is now, or null for a line that names none (a callback's), then
     * too when written later.
     */
    void afterHooks(Class<?> owner, Object label, String operation, String patch, String outcome,
                    Provenance provenance) {
        if (!ledger.after(owner.getClassLoader(), owner.getName(), label,
                new Object[] {operation, patch, outcome, provenance == null ? null : label})) {
            audit.record(operation, patch, outcome, REQUESTER, provenance);
        }
    }

    /**
     * The lines {@link #afterHooks} left to write after {@code e}'s; {@code exiting}: as the exit's (queued
     * for the drain). Under {@link #writing}, but for the exit's count of what it could not write, whose
     * lines these follow. {@code byItsWriter}: {@link #writeQueued}'s, which leaves the lines of an event the
     * exit counted to the exit ({@link HookLedger#writtenByItsWriter}). Never throws.
     */
    private void thenWrite(HookLedger.LinkEvent e, boolean exiting, boolean byItsWriter) {
        try {
            for (Object o : byItsWriter ? ledger.writtenByItsWriter(e) : ledger.written(e)) {
                try {
                    Row line = row(o);
                    if (exiting) {
                        audit.recordAtExit(line.operation(), line.patch(), line.outcome(), REQUESTER,
                                line.provenance());
                    } else {
                        audit.record(line.operation(), line.patch(), line.outcome(), REQUESTER, line.provenance());
                    }
                } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
                    // the callbacks ran and status shows the class patched, even when the entry finds no memory
                }
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // no memory for the list: those lines are lost, as an event's own entry can be
        }
    }

    /**
     * A line {@link #afterHooks} attached to an event, as a record's {@link Row}: the provenance of its patch as it
     * is now, or null for a line that names none.
     */
    static Row row(Object attached) {
        Object[] line = (Object[]) attached; // made by afterHooks: operation, patch, outcome, label or null
        return new Row((String) line[0], (String) line[1], (String) line[2],
                line[3] == null ? null : provenanceOf(line[3]));
    }

    /**
     * A record of an event's, to be placed with the event's others ({@link #place}, AuditLog.recordEvent). A class of
     * its own, loaded at the first event audited only: a JVM whose classes are all defined before its patches never
     * loads it (FootprintIT).
     */
    record Row(String operation, String patch, String outcome, Provenance provenance) {
    }

    private void audit(HookLedger.LinkEvent e) {
        if (e.applied() != null) {
            if (applied == null) {
                applied = new AppliedLater(this); // at the first: a JVM whose classes are all loaded before never loads it
            }
            applied.record(e);
            return;
        }
        // The patches the failure concerns, and their provenance, as they were when it happened (the
        // event carries them): not looked up in the registry now, where a patch disabled since is no
        // longer on and one unregistered since is gone (LateLoaderAuditTest).
        for (Object label : e.auditedFor()) {
            String name = (String) ((Map.Entry<?, ?>) label).getKey(); // made by label(): a name and a Provenance
            Provenance provenance = provenanceOf(label); // as it is now: a signer checked since is named
            // Once per registration (its label: its name and provenance, with its time and digest): a patch
            // registered again under the same name is another one, whose failure status shows and the record
            // must have too (LinkFailureReauditTest); the relinks of one registration's changes do not repeat it.
            if (firstTime(label, e.loader(), e.className() + '.' + e.key())) {
                record("link", name, "failed in class loader " + LoaderNames.of(e.loader()) + ": "
                        + e.className() + '.' + e.key() + (e.runs() == null ? " keeps its own code: "
                        : " runs the version of patch '" + e.runs() + "' below it: ") + e.reason(), provenance);
            }
        }
    }

    /**
     * Whether {@code what} (a class and what happened to it) is new for the registration {@code label}
     * in {@code loader}; this thread's only (AppliedLater's too).
     */
    boolean firstTime(Object label, ClassLoader loader, String what) {
        Map<ClassLoader, Set<String>> byLoader = audited.get(label);
        if (byLoader == null) {
            byLoader = new WeakHashMap<>();
            audited.put(label, byLoader);
        }
        Set<String> done = byLoader.get(loader);
        if (done == null) {
            // A new loader: a WeakHashMap lets go of its loaders that are gone only when it is used, and the
            // map of a registration that meets no new loader is not; so each growth clears them all (the
            // registrations are few).
            for (Map<ClassLoader, Set<String>> m : audited.values()) {
                m.size();
            }
            done = new HashSet<>();
            byLoader.put(loader, done);
        }
        return done.add(what);
    }

    /**
     * The registration {@code label} was unregistered (PatchRegistry, under klpMutex, after the commit):
     * this thread forgets what it audited for it once it has written the events queued until now. An
     * event of that registration that comes after (a definition that read the hooks before the disable)
     * is written if it is new and remembered until its label is collected. Never throws: it follows
     * the unregistration's commit (without memory for the list, the label's collection clears it).
     */
    void forget(Object label) {
        if (!started) {
            return; // nothing audited, and no thread to take it: the list would only grow
        }
        try {
            synchronized (unregistered) { // pairs with takeUnregistered
                unregistered.add(label);
                forgetting = true;
            }
            LockSupport.unpark(thread); // after the write: the thread's next look at forgetting sees it
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // the weak key still lets go of it with its label
        }
    }

    /**
     * Under {@link #writing}: the labels {@link #forget} was given since the last call. Never throws: out of
     * memory for the copy, none now (they stay for the next round; the thread must live on).
     */
    private Object[] takeUnregistered() {
        if (!forgetting) {
            return NONE;
        }
        try {
            synchronized (unregistered) { // pairs with forget
                Object[] taken = unregistered.toArray();
                unregistered.clear();
                forgetting = false;
                return taken;
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            return NONE;
        }
    }

    private static final Object[] NONE = {};

    /** Under {@link #writing}: forgets what was audited for {@code labels}. Never throws, as {@link #takeUnregistered}. */
    private void forgetAll(Object[] labels) {
        try {
            for (Object label : labels) {
                audited.remove(label);
                if (applied != null) {
                    applied.forget(label);
                }
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // kept until its label is collected (the weak key)
        }
    }

    /**
     * For tests: how many keys are remembered for the registrations of patch {@code name} (all its
     * loaders), for how many (registration, loader) pairs, and how many of {@link AppliedLater}'s counters:
     * {@code [keys, pairs, counters]}. Takes the lock
     * this thread writes under, so it waits for a write in progress.
     */
    long[] auditedForTests(String name) {
        writing.lock();
        try {
            long keys = 0;
            long pairs = 0;
            for (Map.Entry<Object, Map<ClassLoader, Set<String>>> e : audited.entrySet()) {
                if (((Map.Entry<?, ?>) e.getKey()).getKey().equals(name)) {
                    for (Set<String> done : e.getValue().values()) {
                        keys += done.size();
                        pairs++;
                    }
                }
            }
            return new long[] {keys, pairs, applied == null ? 0 : applied.countersOf(name)};
        } finally {
            writing.unlock();
        }
    }
}
