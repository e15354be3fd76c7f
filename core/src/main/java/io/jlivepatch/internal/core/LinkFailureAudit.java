package io.jlivepatch.internal.core;

import io.jlivepatch.internal.OwnThread;
import io.jlivepatch.internal.patch.ActiveFunction;
import io.jlivepatch.internal.patch.HookLedger;
import io.jlivepatch.internal.patch.LoaderNames;
import io.jlivepatch.internal.patch.RecursionGuard;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.locks.LockSupport;

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

    // Only this class's thread uses these: what was audited, by loader (weakly) and the boot loader.
    private final Map<ClassLoader, Set<String>> audited = new WeakHashMap<>();
    private final Set<String> auditedBoot = new HashSet<>();
    /** Only this class's thread uses it: the hooks put into classes defined later ({@link HookLedger#applied}). */
    private AppliedLater applied;

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
            // Looks at the queue first (ConcurrentLinkedQueue.poll: java.util.concurrent, which no patch
            // can hook, Patchability) and marks itself only when there is work: a wake-up with nothing queued
            // (a spurious one, or the permit of a failure polled in the previous round) then takes no
            // hook's guard off its constant (RecursionGuard; GuardSwitchTest). Marked (the hooks it meets,
            // an audited JDK method, run the original code) while it audits, never while it parks: a mark
            // held for the JVM's life would keep every hook's guard off its constant (Recursion.outside).
            HookLedger.LinkEvent e = ledger.nextFailure();
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
            if (e != null) {
                int mark = RecursionGuard.enter();
                try {
                    do {
                        try {
                            audit(e);
                        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
                            // the failure stands in status and in the log even when its entry finds no memory
                        }
                    } while ((e = ledger.nextFailure()) != null);
                } finally {
                    RecursionGuard.exit(mark);
                }
            }
            // An opening found with klpMutex held is its holder's to audit when that holder is an operation
            // (its report takes it, as the one that caused it); the holders that report nothing (the
            // in-flight follow-up, a late class's callbacks) unpark this thread as they let go
            // (ModuleOpenings.wakeAuditorIfPending). Not a timed retry: it would take an operation's
            // opening between its unlock and its report, and audit it as nobody's.
            LockSupport.park(this); // returns at once when the ledger or an opening unparked it since the last poll
        }
    }

    /**
     * What the failures of {@code patch} are audited under, its {@link ActiveFunction#label}: its name
     * and provenance, nothing that holds its JAR's class loader. A Map.Entry, not a record of its own:
     * each class jlivepatch defines counts in a JVM's first load, which registers a patch (issue 10,
     * FootprintIT).
     */
    static Map.Entry<String, Provenance> label(String patch, Provenance provenance) {
        return Map.entry(patch, provenance); // both never null: a registered patch has a provenance
    }

    private void audit(HookLedger.LinkEvent e) {
        if (e.applied() != null) {
            if (applied == null) {
                applied = new AppliedLater(audit, this); // at the first: a JVM whose classes are all loaded before never loads it
            }
            applied.record(e);
            return;
        }
        // The patches the failure concerns, and their provenance, as they were when it happened (the
        // event carries them): not looked up in the registry now, where a patch disabled since is no
        // longer on and one unregistered since is gone (LateLoaderAuditTest).
        for (Object label : e.auditedFor()) {
            Map.Entry<?, ?> p = (Map.Entry<?, ?>) label; // made by label(): a name and a Provenance
            String name = (String) p.getKey();
            Provenance provenance = (Provenance) p.getValue();
            // Once per registration (its provenance's time and digest): a patch registered again under the
            // same name is another one, whose failure status shows and the record must have too
            // (LinkFailureReauditTest); the relinks of one registration's changes do not repeat it.
            if (firstTime(e.loader(), name + ' ' + provenance.loadedAt() + ' ' + provenance.sha256() + ' '
                    + e.className() + '.' + e.key())) {
                audit.record("link", name, "failed in class loader " + LoaderNames.of(e.loader()) + ": "
                        + e.className() + '.' + e.key() + (e.runs() == null ? " keeps its own code: "
                        : " runs the version of patch '" + e.runs() + "' below it: ") + e.reason(), REQUESTER,
                        provenance);
            }
        }
    }

    /** Whether {@code what} is new for {@code loader}; this thread's only (AppliedLater's too). */
    boolean firstTime(ClassLoader loader, String what) {
        Set<String> done = loader == null ? auditedBoot : audited.get(loader);
        if (done == null) {
            done = new HashSet<>();
            audited.put(loader, done);
        }
        return done.add(what);
    }
}
