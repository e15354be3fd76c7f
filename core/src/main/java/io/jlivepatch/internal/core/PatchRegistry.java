package io.jlivepatch.internal.core;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.Suppressed;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.bootstrap.StackRoom;
import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.patch.ActiveFunction;
import io.jlivepatch.internal.patch.ClassHooks;
import io.jlivepatch.internal.patch.HookFailure;
import io.jlivepatch.internal.patch.HookManager;
import io.jlivepatch.internal.patch.LinkTable;
import io.jlivepatch.internal.patch.LoadedClasses;
import io.jlivepatch.internal.patch.LoaderNames;
import io.jlivepatch.internal.patch.Reflection;
import io.jlivepatch.internal.patch.SignatureCheck;
import io.jlivepatch.internal.patch.RecursionGuard;
import io.jlivepatch.internal.patch.MethodSpec;
import io.jlivepatch.internal.patch.ReplacementSource;
import io.jlivepatch.internal.transition.Transition;
import io.jlivepatch.internal.transition.TransitionWorker;

import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJar;
import io.jlivepatch.internal.jar.PatchJarBytes;
import io.jlivepatch.internal.trust.Signature;
import io.jlivepatch.internal.trust.TrustPolicy;
import io.jlivepatch.internal.jar.PatchJarLoader;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The patch stack and its life cycle (the kernel's {@code core.c}): register, enable, disable in
 * exactly the reverse order, unregister, and load (register and enable as one step).
 *
 * <p>Every life-cycle operation is all or nothing: it runs under {@link #klpMutex}, and whatever
 * goes wrong inside it, a rule broken or an exception nobody foresaw (from a replacement source,
 * from {@code Instrumentation}, an {@code OutOfMemoryError}), ends as a {@link PatchException} with a
 * reason, logged and audited, with the registry as it was. Each operation therefore first does
 * everything that can fail (checks, allocations, starting the transition worker, retransforming,
 * which {@link HookManager} rolls back itself), then commits with plain field writes, then reports;
 * a failure to report (a log line that finds no memory) never undoes or fails a committed operation.
 */
public final class PatchRegistry {

    /**
     * How long {@link #loadAndEnable} waits for another patch's transition to end before it refuses
     * with {@code BUSY}: concurrent loads then queue up behind each other instead of failing.
     */
    static final Duration LOAD_WAITS_FOR_TRANSITION = Duration.ofSeconds(2);

    /**
     * The kernel's {@code klp_mutex}: a coarse lock that serializes every life-cycle operation and
     * every change of the hooks. Readers of the stack ({@link #patches()}, {@link #find}) and of a
     * patch's flags skip it: the stack is an immutable list in a volatile field and the flags are
     * volatile.
     */
    private final ReentrantLock klpMutex = new ReentrantLock();
    /**
     * How long an operation waits for klpMutex before it refuses with {@code BUSY}, naming what holds
     * it. Operations hold it for milliseconds to seconds; one whose patch callback never returns holds
     * it for good, and without a bound every later command would wait for ever, each holding one of
     * the control socket's places until even {@code status} is turned away.
     */
    private static volatile Duration lockWait = Duration.ofSeconds(10);
    /**
     * What holds klpMutex (through {@link #locked}, or the transition's end), for the BUSY refusal
     * of a command that waited: written by the holder right after it takes the lock (and again after
     * each wait on transitionDone, which lets go of it meanwhile) and cleared or restored before it
     * lets go; volatile because the waiters read it without the lock. Its three parts, {what
     * (String), thread (Thread), since (Long, System.nanoTime's)}, are replaced together, never
     * changed, so that a refusal never shows one holder's operation with the next one's thread. An
     * array, not a record: each class jlivepatch defines counts in a JVM's first load (issue 10).
     */
    private volatile Object[] holder;
    /** Signalled under klpMutex when a transition ends; awaitTransition and loadAndEnable wait on it. */
    private final Condition transitionDone = klpMutex.newCondition();

    // The transition in progress, at most one (the kernel's klp_transition_patch). Written under
    // klpMutex; volatile for the lock-free readers (inTransition, status, the worker's end check).
    private volatile Transition transition;
    private volatile RegisteredPatch transitionPatch;
    /**
     * The patch whose transition has ended on every thread and whose closing callbacks (postPatch, postUnpatch)
     * and "complete" line come now, or null. To those who look (PatchHandle.inTransition, the MBean's
     * Transition, status, the command's wait) its transition runs on until they are done, as the kernel's
     * klp_transition_patch stays set through klp_complete_transition's post callbacks and its "patching
     * complete" line; to jlivepatch itself (inTransition, the late callbacks, the function lines) it has
     * ended. Written under klpMutex by finish0: set before the commit clears transitionPatch and cleared after
     * the line (pairs with the reads in {@link #transitionShown}, which read transitionPatch first).
     */
    private volatile RegisteredPatch closingPatch;
    /**
     * While {@link #closingPatch} is set: {patch, requester, token} of the operation whose end runs its closing
     * steps (a command's call that the transition ended inside, {@code pid N user U} and its connection's token,
     * Requester.session; the worker's closing operation, no token), so that a command held in its call by its own
     * closing callback can tell it from another's ({@link #closing}, Closing.askedWith).
     * One array, replaced whole, so that a reader never pairs one closing's patch with another's requester. Written
     * under klpMutex by finish0 before closingPatch and cleared after it.
     */
    private volatile Object[] closingBy;
    /**
     * Odd from just before a closing's first write (closingBy) to just after its last (closingBy cleared), even
     * otherwise: {@link #closing} reads the closing fields between two reads of it that agree. Written only by
     * finish0, under klpMutex (a plain increment: no other writer); no allocation, so it cannot fail there.
     */
    private volatile long closingSeq;
    /**
     * The transition whose end is on record ({@link #closeEnded}: its {@code ok} line made, or kept by the
     * operation it ended inside, which the exit writes if its thread has not; finish0, before its commit, when the
     * worker had no memory for its closing operation and wrote that line first), written before the operation that
     * claimed that end ({@link Operation#claimEnd}) leaves the exit's list: an exit that read the transition before
     * its commit and finds neither that operation nor its claim any more writes no "in progress" line of it.
     * Written under klpMutex; volatile for the exit's read without it, which comes last (unfinishedAtExit).
     */
    private volatile Transition endOnRecord;
    /**
     * Retries the transition in progress: one thread, made at install, started before the first
     * commit that needs it, retired once it completes a transition (TransitionWorker). Used under
     * klpMutex.
     */
    private final TransitionWorker worker = new TransitionWorker();

    /**
     * The patch stack, bottom first. Replaced whole under klpMutex, so that a lock-free reader sees
     * either the stack before an operation or the one after it, never a patch half loaded.
     */
    private volatile List<RegisteredPatch> stack = List.of();
    private final HookManager hooks;
    private final FunctionResolver resolver;
    private final AuditLog audit = new AuditLog();
    private final LateCallbacks late;
    /** Audits failures in class loaders that define a target later; its thread starts at the first enable. */
    private final LinkFailureAudit linkAudit;

    // Set once, when the MBeans are up; written and read under klpMutex.
    private volatile RegistryObserver observer;

    private PatchRegistry(HookManager hooks) {
        this.hooks = hooks;
        this.resolver = new FunctionResolver(hooks.instrumentation());
        this.late = new LateCallbacks(this, klpMutex);
        hooks.lifecycleLock(klpMutex); // the follow-up of definitions in flight changes hooks under it too
        hooks.callbacks(late);
        Error injected = constructionFailureForTests;
        if (injected != null) {
            constructionFailureForTests = null;
            throw injected; // as the link audit's thread below would, out of memory
        }
        this.linkAudit = new LinkFailureAudit(this, hooks.ledger(), audit);
    }

    /** Tests: thrown once by the next registry's construction, at its last step. */
    private static volatile Error constructionFailureForTests;

    /** Tests: the next registry's construction fails with {@code e} at its last step, after it set up the hooks. */
    public static void failNextConstructionForTests(Error e) {
        constructionFailureForTests = e;
    }

    /** The stack as the late callbacks read it: without the lock on the link path. */
    List<RegisteredPatch> stackForCallbacks() {
        return stack;
    }

    /**
     * The highest version of system state {@code id} among the enabled patches (see
     * {@link StateCheck#version}); lock-free, like {@link #patches()}.
     */
    public java.util.OptionalInt stateVersion(long id) {
        return StateCheck.version(stack, id);
    }

    /** The last failure of one of {@code p}'s callbacks, or {@code null}. */
    public String lastCallbackFailure(PatchHandle p) {
        return p instanceof RegisteredPatch ? ((RegisteredPatch) p).callbacks().lastFailure() : null;
    }

    /** How many of {@code p}'s callbacks have failed since it was registered. */
    public long callbackFailures(PatchHandle p) {
        return p instanceof RegisteredPatch ? ((RegisteredPatch) p).callbacks().failureCount() : 0;
    }

    // Written by install (under Livepatch.class, one per JVM), cleared by uninstall when that
    // installation failed after it; read by the channels that start after it and are handed no
    // registry (the watched directory started by the agent).
    private static volatile PatchRegistry installed;

    public static PatchRegistry install(Instrumentation inst) {
        HookManager hooks = HookManager.install(inst); // undoes itself when it fails
        PatchRegistry r;
        try {
            r = new PatchRegistry(hooks);
        } catch (Throwable e) {
            hooks.uninstall(e);
            throw e;
        }
        installed = r;
        return r;
    }

    /**
     * How Livepatch.install, after {@link #install}, ended: 0 while it runs, 1 installed, -1 failed
     * ({@link #uninstall}). Written once, by the installing thread under Livepatch.class; read by the
     * channels that installation starts ({@link #awaitInstalled}).
     */
    private volatile int outcome;

    /** Livepatch.install completed with this registry: the channels it started may serve it. */
    public void installDone() {
        outcome = 1; // pairs with awaitInstalled's read
    }

    /**
     * Undoes {@link #install}, for Livepatch.install whose later step failed: the hooks'
     * installation is undone ({@link HookManager#uninstall}) and this registry is no JVM's, so that a
     * retry installs once. Never throws: what fails here is added to {@code why}.
     */
    public void uninstall(Throwable why) {
        // First: a channel that waits for the outcome (awaitInstalled) must hear of it whatever fails below.
        outcome = -1;
        if (installed == this) {
            installed = null;
        }
        hooks.uninstall(why);
    }

    /**
     * Waits until Livepatch.install with this registry ended; whether it succeeded. For a channel
     * started by that installation, on a thread of its own, that may publish this registry (JMX's
     * MBeans, which replace any of the same name): a step after it may still fail, and a retry's
     * registry must not lose its MBeans to this one's. The wait is the rest of an installation that
     * had started this thread already: a few steps, none of them waiting.
     */
    public boolean awaitInstalled() {
        long pause = 1;
        int o;
        while ((o = outcome) == 0) { // pairs with installDone's and uninstall's writes
            java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(pause));
            pause = Math.min(pause * 2, 100);
        }
        return o > 0;
    }

    /** The registry of this JVM's installed jlivepatch, or {@code null} before {@code Livepatch.install}. */
    public static PatchRegistry installed() {
        return installed;
    }

    /** Tells {@code observer} of every patch registered so far, then of every change. */
    public void observeFromNowOn(RegistryObserver observer) {
        klpMutex.lock();
        try {
            for (RegisteredPatch p : stack) {
                observer.registered(p);
            }
            this.observer = observer;
        } finally {
            klpMutex.unlock();
        }
    }

    public AuditLog audit() {
        return audit;
    }

    public Instrumentation instrumentation() {
        return hooks.instrumentation();
    }

    /** Has {@code watcher} told of the loader of each class defined from now on, until {@link #unwatchLoaders}. */
    public void watchLoaders(java.util.function.Consumer<ClassLoader> watcher) {
        hooks.activate(); // the transformer is what sees the classes defined
        hooks.ledger().watchLoaders(watcher);
    }

    public void unwatchLoaders(java.util.function.Consumer<ClassLoader> watcher) {
        hooks.ledger().unwatchLoaders(watcher);
    }

    public List<PatchHandle> patches() {
        return List.copyOf(stack);
    }

    public Optional<PatchHandle> find(String name) {
        return Optional.ofNullable(named(stack, name));
    }

    /** Refuses {@code name} when a registered patch has it; reads the volatile stack, no lock needed. */
    private void duplicateName(String name) throws PatchException {
        duplicateName(name, "", null);
    }

    /**
     * {@link #duplicateName(String)} of patch JAR {@code source} whose content has SHA-256 {@code sha256}:
     * a second load of the very JAR that runs (a retried deployment, two operators) is told so, not
     * advised to rename it, and a JAR of another content under a registered name is told which one holds it.
     */
    private void duplicateName(String name, String source, String sha256) throws PatchException {
        RegisteredPatch p = named(stack, name);
        if (p == null) {
            return;
        }
        Provenance was = p.provenance();
        String state = p.isEnabled() ? "enabled" : "registered, not enabled";
        String jar = source.isEmpty() ? "" : PatchJar.about(source) + ": ";
        if (sha256 != null && !sha256.isEmpty() && sha256.equals(was.sha256())) {
            throw new PatchException(Reason.DUPLICATE_NAME, name, jar + "patch '" + name + "' is already registered from"
                    + " this very JAR (sha256 " + sha256 + "), " + state + ": nothing was changed; it needs no second"
                    + " load ('jlivepatch status', or Livepatch.find in code, shows it)");
        }
        String from = was.sha256().isEmpty() ? "built in code"
                : "from " + (was.source().isEmpty() ? "a JAR" : was.source()) + " (sha256 " + was.sha256() + ")";
        throw new PatchException(Reason.DUPLICATE_NAME, name, jar + "patch '" + name + "' is already registered, " + from
                + ", " + state + ": unregister it first, or give the new patch another name (a new version of a fix"
                + " is shipped as a cumulative patch, Livepatch-Replace: true, which replaces it in one transition)");
    }

    private static RegisteredPatch named(List<RegisteredPatch> in, String name) {
        for (RegisteredPatch p : in) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        return null;
    }

    /** One step of an operation; it changes nothing unless it returns normally. */
    @FunctionalInterface
    private interface Step<T> {
        T run() throws PatchException;
    }

    /**
     * Runs {@code step}, turning any failure into a refusal of {@code operation}, logged and audited.
     *
     * @param patchName the patch's name, or {@code null} when it is not known yet
     * @param subject   what the audit log names: the patch's name, or a JAR's path
     */
    private <T> T refusing(String operation, String patchName, String subject, Step<T> step) throws PatchException {
        return refusing(operation, patchName, subject, "", step);
    }

    /** {@link #refusing(String, String, String, Step)}, a refusal's message ending with {@code note}. */
    private <T> T refusing(String operation, String patchName, String subject, String note, Step<T> step)
            throws PatchException {
        return refusing(operation, patchName, subject, note, null, step);
    }

    /**
     * {@link #refusing(String, String, String, String, Step)} of a patch JAR's load: a refusal's
     * audit record names the JAR's file, content and signer ({@code jar}), as one before preparing does.
     */
    private <T> T refusing(String operation, String patchName, String subject, String note, Provenance jar,
                           Step<T> step) throws PatchException {
        activate(operation, patchName, subject);
        // jlivepatch's own code, whichever thread calls it: hooks met here run the original methods
        // and no replacement runs on jlivepatch's behalf (RecursionGuard).
        int mark = RecursionGuard.enter();
        try {
            PatchCallbacks.refuseInside(operation, patchName);
            return step.run();
        } catch (PatchException e) {
            throw refused(operation, subject, noted(e, note), jar);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            throw refused(operation, subject, noted(Refusals.unexpected(operation,
                    patchName, patchName != null ? "patch '" + patchName + "'" : subject, e), note), jar);
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /**
     * Completes the hooks' installation before an operation's first step (see {@link HookManager#install}):
     * before the operation marks its thread, so that the mark is a real one.
     */
    private void activate(String operation, String patchName, String subject) throws PatchException {
        try {
            hooks.activate();
        } catch (IllegalStateException e) {
            throw refused(operation, subject, new PatchException(PatchException.Reason.ILLEGAL_STATE,
                    patchName != null ? patchName : subject, e.getMessage()));
        }
    }

    /** {@code e} with {@code note} at the end of its message; {@code e} itself for no note. */
    private static PatchException noted(PatchException e, String note) {
        if (note.isEmpty()) {
            return e;
        }
        PatchException n = new PatchException(e.reason(), e.patchName(), e.getMessage() + note, e.getCause());
        n.setStackTrace(e.getStackTrace());
        return n;
    }

    /** {@link #refusing} under klpMutex. */
    private <T> T locked(String operation, String patchName, Step<T> step) throws PatchException {
        return locked(operation, patchName, "", step);
    }

    /** {@link #locked(String, String, Step)}, a refusal's message (BUSY's too) ending with {@code note}. */
    private <T> T locked(String operation, String patchName, String note, Step<T> step) throws PatchException {
        return locked(operation, patchName, note, null, step);
    }

    /** {@link #locked(String, String, String, Step)} of a patch JAR's load, its refusals audited with {@code jar}. */
    private <T> T locked(String operation, String patchName, String note, Provenance jar, Step<T> step)
            throws PatchException {
        return locked(operation, patchName, note, jar, jar, null, step);
    }

    /**
     * {@link #locked(String, String, Step)} of registered patch {@code p}: a line the JVM's exit makes for
     * it names its file and content, as its own line would (its refusals do not, as before).
     */
    private <T> T locked(String operation, RegisteredPatch p, Step<T> step) throws PatchException {
        return locked(operation, p.name(), "", null, p.provenance(), p, step);
    }

    /**
     * {@link #locked(String, String, String, Provenance, Step)}, the operation under way known as
     * {@code recorded}'s for the line the JVM's exit makes if it comes in the middle of it ({@link Operation});
     * {@code handle}: the registered patch it is asked of, when the caller has it (null: by name only).
     */
    private <T> T locked(String operation, String patchName, String note, Provenance jar, Provenance recorded,
                         RegisteredPatch handle, Step<T> step) throws PatchException {
        // Room for what follows first (requireStackFor says why); then under way from its start, before the
        // hooks' activation, the initializer check and the wait for the lock, so that an exit in any of them
        // has it on record (nothing changed); in the place of its entry's stretch before the lock (a load's
        // preparation, Operation.before), which has its line. Null for an operation nested in one of its
        // thread's (a callback's, refused), whose lines are its own, not the enclosing one's.
        requireStackFor(operation, patchName);
        Operation op = asked(operation, patchName, recorded);
        Operation preparation = op == null ? null : op.inPlaceOf;
        try {
            // Before the lock: activation may wait (bounded) for a stretch of jlivepatch's code that began
            // before it and that it cannot mark (RecursionGuard.adoptUnmarkedStretches: more at once than
            // its slots), and such a stretch may wait for this lock (the JMX set-up's observeFromNowOn):
            // under it, the two would stall each other for the whole bound.
            // The operations that can come first (register's fixedSources, load's prepare) activate
            // outside the lock already; this keeps every operation so (RegistryStretchDriver).
            activate(operation, patchName, patchName);
        } catch (PatchException | RuntimeException | Error e) {
            overEarly(op, preparation, e instanceof PatchException); // a refusal: on record, its line
            throw e;
        }
        // jlivepatch's own code from here on, not only the step's (refusing marks it again, nested):
        // the lock's wait (Requester's ThreadLocal), the deferred records and their audit lines (their
        // times' Instant.toString). Unmarked, a patch of a JDK method these use ran on the caller's
        // thread: one that throws lost the change's line from the audit file, or failed the operation
        // before it began (OwnPathsTest). requireStackFor left room for the exit in the finally.
        int mark = RecursionGuard.enter();
        try {
            Operation enclosing = op == null ? underWay.get() : null;
            try {
                try {
                    PatchCallbacks.refuseInsideInitializer(operation, patchName); // before the wait: see there
                    refuseForceWhileClosing(operation, handle);
                } catch (PatchException e) {
                    PatchException refusal = refused(operation, patchName, noted(e, note), jar);
                    if (op != null) {
                        op.ownLineMade(); // the refusal is its line (made without the lock: report cannot tell)
                    }
                    throw refusal;
                }
                if (op != null) {
                    op.running("it was waiting for jlivepatch's lock");
                }
                if (!lock()) {
                    PatchException busy = refused(operation, patchName, noted(lockHeld(operation, patchName), note),
                            jar);
                    if (op != null) {
                        op.ownLineMade(); // the refusal is its line (made without the lock: report cannot tell)
                    }
                    throw busy;
                }
                Object[] outer = holder; // klpMutex is reentrant: a nested operation puts it back
                try {
                    hold("'" + operation + "'" + (patchName == null ? "" : " of patch '" + patchName + "'"));
                    if (op != null) {
                        op.running(null);
                        op.beforeLock(false);
                    } else {
                        enclosing.enterNested(); // its lines are its own, not the enclosing one's
                    }
                    return refusing(operation, patchName, patchName, note, jar, step);
                } finally {
                    try {
                        if (enclosing != null) {
                            enclosing.exitNested();
                        } else {
                            // Ended, then its records written, then out of the list: an exit meanwhile adds
                            // no line for it, and takes what its thread has not taken yet (Operation.next).
                            op.end();
                            auditDeferred(op);
                            // Its lines made: the classes its change hooked as they were defined go on record
                            // now, after them (holdLinkRecords).
                            hooks.ledger().releaseHold();
                        }
                    } finally {
                        // What another thread held before a wait on transitionDone let it in is not ours to restore.
                        holder = outer != null && outer[1] == Thread.currentThread() ? outer : null;
                        klpMutex.unlock();
                    }
                }
            } finally {
                if (op != null) {
                    op.end();
                    overWith(op, preparation);
                }
            }
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /**
     * Refuses, before the wait for klpMutex, a force of a patch whose transition has ended on every thread and
     * one of whose closing callbacks runs now on another thread, which holds the lock: there is nothing left to
     * force, and force cannot end a callback. Before, a command's force waited out its lock wait and was refused
     * BUSY with "retry", and the API's waited for the callback and was then refused as not in transition (as the
     * kernel's force, which finds klp_transition_patch cleared once klp_mutex is free). On the thread that runs
     * them (a callback's own force) the operation's refusal of a callback's life-cycle call stands. By the handle
     * ({@code p}), not the name: a handle of a patch unregistered since, whose name a new registration took,
     * is not the closing patch; its force waits for the lock as before and is refused as not in transition.
     *
     * <p>Only while a callback runs, as status and a command's "transition still running" name it
     * ({@link #closingCallback}): in the closing's other steps (between callbacks, the "complete" record and line)
     * a force waits for the lock as the kernel's does, briefly, and finds the transition ended ("not in
     * transition"), rather than being told that a callback it was not shown is left; the command, seeing no thread
     * and no callback, offers none (Transitions.printStillRunning, agent CLI).
     */
    private void refuseForceWhileClosing(String operation, RegisteredPatch p) throws PatchException {
        RegisteredPatch c = closingPatch;
        if (c == null || c != p || !operation.equals("force") || klpMutex.isHeldByCurrentThread()) {
            return;
        }
        String running = closingCallback(c);
        if (running == null) {
            return; // no callback runs now: see above
        }
        String patchName = c.name();
        // Its thread's, class's and class loader's names are the application's: escaped as a refusal quotes what
        // comes from outside ("Clean text"), so that it stays one line for the API's caller and its log.
        throw new PatchException(Reason.ILLEGAL_STATE, patchName, "cannot force patch '" + patchName + "': its"
                + " transition has ended on every thread and only its closing callbacks are left, "
                + Text.clean(running) + "; force cannot end a callback: the transition ends when it returns"
                + " ('jlivepatch status' shows it; one that never returns keeps it, and jlivepatch's lock, until the JVM"
                + " restarts); nothing was changed");
    }

    /**
     * Makes the operation {@link #locked} starts on this thread under way ({@link Operation}), before anything
     * of it, nothing changed yet, in the place of a load's preparation if one is ({@link Operation#inPlaceOf});
     * null nested in one of its thread's. Marked while it runs ({@code enterIfActive}: before the hooks'
     * activation nothing is hooked, and it must not activate them, which is the operation's own first step).
     */
    private Operation asked(String operation, String patchName, Provenance recorded) {
        int mark = RecursionGuard.enterIfActive();
        try {
            Operation enclosing = underWay.get();
            Operation preparation = enclosing != null && enclosing.preparation ? enclosing : null;
            if (enclosing != null && preparation == null) {
                return null;
            }
            Operation op = new Operation(operation, patchName, Requester.current(), recorded);
            op.beforeLock(true);
            op.inPlaceOf = preparation;
            underWay(op, preparation);
            return op;
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /**
     * Ends {@link #asked}'s {@code op} (null: nothing to end) when it goes no further than its activation;
     * {@code lineMade}: it was refused, on record. Marked as {@link #asked} is.
     */
    private void overEarly(Operation op, Operation preparation, boolean lineMade) {
        if (op == null) {
            return;
        }
        int mark = RecursionGuard.enterIfActive();
        try {
            if (lineMade) {
                op.ownLineMade();
            }
            op.end();
            overWith(op, preparation);
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /**
     * Refuses, with the {@link StackOverflowError} it would meet in a moment anyway, an operation asked
     * for at the edge of its thread's stack (a patch's replacement deep in a recursion, say), before
     * it takes klpMutex: an overflow between taking the lock and the finally that releases it, or in
     * that finally, would leave it held for good by a thread that may end, and every later operation
     * would wait for it. With {@link StackRoom}'s room, the release is sure to fit.
     */
    private static void requireStackFor(String operation, String patchName) {
        if (!StackRoom.left()) {
            throw new StackOverflowError("no stack left to " + operation + " patch '" + patchName + "' on this"
                    + " thread; nothing was changed");
        }
    }

    /**
     * Per thread, while it runs an operation ({@link #locked}, the outermost of nested ones): the
     * operation, which keeps the records a transition ending inside it made ({@link #finish}), written
     * after the operation's own, as the change follows its start. Per thread, not per registry: a
     * thread waiting inside its operation for a transition to end (klpMutex released) must not collect
     * the worker's or another operator's records. Set and read only by jlivepatch's operations, which
     * run marked (RecursionGuard): no patch of ThreadLocal runs on their behalf.
     */
    private final ThreadLocal<Operation> underWay = new ThreadLocal<>();
    /**
     * The operations under way, on every thread (several: one holds klpMutex, others wait for a
     * transition with it released), for the JVM's exit ({@link #recordUnfinishedAtExit}), which
     * reads them without klpMutex. Guarded by itself, held only to add, remove or copy.
     */
    private final List<Operation> operations = new ArrayList<>();
    /**
     * The thread whose reports go to its {@link #underWay} operation now: one ending a transition inside
     * its operation. Written under klpMutex; volatile for the reports of other threads (a refusal
     * before the lock), which are never deferred.
     */
    private volatile Thread deferring;

    /** Makes {@code op} this thread's operation under way, seen by the JVM's exit. */
    private void underWay(Operation op) {
        synchronized (operations) {
            operations.add(op); // first: one the thread-local holds is always in the list
        }
        try {
            underWay.set(op);
        } catch (RuntimeException | Error e) {
            overWith(op);
            throw e;
        }
    }

    /**
     * {@link #underWay} of {@code op} in the place of {@code preparation} (null for none): in the list
     * at once, so that the exit finds one of the two, never both nor neither.
     */
    private void underWay(Operation op, Operation preparation) {
        if (preparation == null) {
            underWay(op);
            return;
        }
        synchronized (operations) {
            operations.remove(preparation);
            operations.add(op);
        }
        try {
            underWay.set(op); // replaces the preparation's value: its thread-local entry is there
        } catch (RuntimeException | Error e) {
            overWith(op, preparation);
            throw e;
        }
    }

    /**
     * Ends {@link #underWay} of {@code op}, and puts {@code preparation} (null for none) back in its
     * place: a load goes on preparing after its checks under the lock. When {@code op} made its line (a
     * refusal, or the load's own), that is the preparation's line too: the exit adds none for it.
     */
    private void overWith(Operation op, Operation preparation) {
        if (preparation == null) {
            overWith(op);
            return;
        }
        if (op.lineMade()) {
            preparation.ownLineMade();
        }
        try {
            underWay.set(preparation);
        } finally {
            synchronized (operations) {
                operations.remove(op);
                operations.add(preparation);
            }
        }
    }

    /** Ends {@link #underWay} of {@code op}: its thread runs it no more. */
    private void overWith(Operation op) {
        try {
            underWay.remove();
        } finally {
            synchronized (operations) {
                operations.remove(op);
            }
        }
    }

    /** This thread's operation under way (the outermost, when operations nest), or null outside any. */
    private Operation here() {
        return underWay.get();
    }

    /**
     * Says how far this thread's operation has changed things, right after a commit, for the line the
     * JVM's exit makes if it comes before the operation's own ({@link Operation}). Never throws nor
     * allocates: it follows commits ({@code what} is a constant).
     */
    private void tookEffect(String what) {
        Operation op = here();
        if (op != null) {
            op.effect(what);
        }
    }

    /**
     * Runs {@code p}'s callbacks for {@code owner}, a class defined after {@code p} was enabled, at its first
     * call ({@link LateCallbacks}, on the application's thread that made it), as an operation under way: a
     * {@code link} line of jlivepatch's says what ran ({@code ok (C in class loader L, defined after the patch
     * was enabled: prePatch and postPatch ran at its first call)}), and an exit in the middle (a callback that
     * calls {@code System.exit}) is on record as cutting it short. A refusing prePatch's record is the
     * {@code callback} failure it makes (PatchCallbacks.failed). Caller holds klpMutex.
     */
    void prepareLate(RegisteredPatch p, Class<?> owner, boolean inTransition) {
        PatchCallbacks callbacks = p.callbacks();
        Operation op = null;
        if (callbacks.pending(owner) && here() == null) { // never inside an operation: those run marked, past no gate
            try {
                op = Operation.late(p.name(), p.provenance());
                underWay(op);
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                op = null; // no memory for the record: the callbacks run all the same, as before it
            }
        }
        try {
            boolean prepared = callbacks.prepareLate(owner, inTransition, p.auditLabel());
            if (op != null) {
                if (prepared) {
                    lateOnRecord(p, owner, inTransition);
                }
                op.ownLineMade();
            }
        } finally {
            if (op != null) {
                op.end();
                overWith(op);
            }
        }
    }

    /**
     * {@link #prepareLate}'s class is prepared (its prePatch passed): an exit in its postPatch says the class
     * is patched. Only a late class's operation: never one this thread might run otherwise. Never throws.
     */
    void latePrepared() {
        Operation op = here();
        if (op != null && op.late) {
            op.effect("patching complete");
        }
    }

    /**
     * The {@code link} line of {@link #prepareLate}'s class whose prePatch passed: after the line of the hooks it
     * got as it was defined (LinkFailureAudit.afterHooks). Never throws.
     */
    private void lateOnRecord(RegisteredPatch p, Class<?> owner, boolean inTransition) {
        try {
            linkAudit.afterHooks(owner, p.auditLabel(), "link", p.name(), "ok (" + owner.getName() + " in class loader "
                    + LoaderNames.of(owner.getClassLoader()) + ", defined after the patch was enabled: " + (inTransition
                    ? "prePatch ran at its first call; postPatch runs when the transition completes"
                    : "prePatch and postPatch ran at its first call") + ")", p.provenance());
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // the class is patched and its callbacks ran, even when the entry finds no memory
        }
    }

    /**
     * A patch callback ({@code label} of class {@code c}) starts on this thread: inside an operation,
     * what the exit's line says it was doing. Returns what to pass to {@link #callbackReturned}. Never
     * throws: the callback runs whatever this does.
     */
    String callbackRuns(String label, Class<?> c) {
        try {
            Operation op = here();
            return op == null ? null : op.running("its " + label + " callback for " + c.getName()
                    + (op.late ? " in class loader " + LoaderNames.of(c.getClassLoader()) : "") + " was running");
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            return null; // no memory for the words: an exit now says less, nothing else changes
        }
    }

    /** The callback {@link #callbackRuns} announced returned; {@code before}: what it returned. */
    void callbackReturned(String before) {
        Operation op = here();
        if (op != null) {
            op.running(before);
        }
    }

    /**
     * At the JVM's exit, what it cut short, on record: each operation under way (a callback of its that
     * called {@code System.exit}, another thread's exit while it ran), its own line unless made (what
     * was asked, by whom, how far it got: {@link Operation#outcomeAtExit}) and the records it kept for
     * after it; then the transition in progress, if any, which the exit ends before every thread
     * moved; before them, the link events still queued ({@link LinkFailureAudit#atExit}, which waits
     * for them a bounded time). Run by the audit file's drain at the exit before it waits ({@link AuditFile}), so that
     * these lines are written within its bound, as the others still queued. Without klpMutex, which
     * the exiting thread may hold: the operations' monitors and the list's are held only for a few
     * field writes, and the transition's fields are volatile. Of this JVM's registry ({@link #installed}).
     * Never throws: the exit goes on whatever fails here.
     */
    static void recordUnfinishedAtExit() {
        PatchRegistry r = installed;
        if (r == null) {
            return;
        }
        // First what happened before the exit and is still queued (classes hooked as they were defined,
        // link failures): the link-audit thread is a daemon. Within its own bound. Those an operation held
        // back for after its line too: the exit's line for it, if it is cut short, comes after them.
        try {
            r.hooks.ledger().endHolds();
            r.linkAudit.atExit();
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // no memory for the wait (its lock's node): the exit goes on to what the exit cut short
        }
        try {
            r.unfinishedAtExit();
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // the JVM exits either way; what was recorded before this is queued
        }
    }

    private void unfinishedAtExit() {
        // The transition first, then the operations, each one's effect before its claim, then endOnRecord: the
        // reverse of finish0's and closeEnded's writes (an operation claims the end before its effect says
        // "complete", and before the commit; endOnRecord after the end's line), so that the end is said once, by
        // an operation's line or the transition's own, never by both nor by neither (but for no memory).
        Transition t = transition;
        RegisteredPatch p = transitionPatch; // read apart, without the lock: checked to be t's below
        Operation[] ops;
        synchronized (operations) {
            ops = operations.toArray(new Operation[0]);
        }
        boolean claimed = false;
        for (Operation op : ops) {
            List<Object[]> kept = new ArrayList<>();
            if (op.takeAtExit(kept)) {
                // The module openings it made, as its own line would have had them first (report).
                for (String opening : io.jlivepatch.internal.ModuleOpenings.takeUnaudited()) {
                    audit.recordAtExit("open", opening, "ok (noted with " + op.name + " of " + op.subject + ")",
                            op.requester, null);
                }
                audit.recordAtExit(op.name, String.valueOf(op.subject), op.outcomeAtExit(), op.requester,
                        op.provenance());
            }
            for (Object[] r : kept) {
                audit.recordAtExit((String) r[0], (String) r[1], (String) r[2], (String) r[4], (Provenance) r[3]);
            }
            claimed |= op.claimsEnd(t); // after its effect (outcomeAtExit): see above
        }
        if (t != null && !claimed && t != endOnRecord && p != null && p.name().equals(t.patchName())) {
            audit.recordAtExit("transition", p.name(), transitionCutShort(t),
                    Requester.forTransition(transitionRequester), p.provenance());
        }
    }

    /**
     * {@code cut short: the JVM exited during it (patching in progress, not complete: 1 thread had not
     * moved, thread 'worker-1' (id 42) in com.acme.X.f)}, at most three threads named.
     */
    private static String transitionCutShort(Transition t) {
        List<String> waiting = t.waiting();
        StringBuilder sb = new StringBuilder("cut short: the JVM exited during it (")
                .append(t.targetPatched() ? "patching" : "unpatching").append(" in progress, not complete");
        if (!waiting.isEmpty()) {
            sb.append(": ").append(waiting.size()).append(waiting.size() == 1 ? " thread had" : " threads had")
                    .append(" not moved");
            for (int i = 0; i < waiting.size() && i < 3; i++) {
                sb.append(i == 0 ? ", " : "; ").append(waiting.get(i));
            }
            if (waiting.size() > 3) {
                sb.append("; ...");
            }
        }
        return sb.append(')').toString();
    }

    /**
     * Writes the records {@code op} kept, each with its requester; caller holds klpMutex. Never throws: it runs
     * after the operation, committed (a failure here, out of memory for a thread-local's entry, would
     * reach the caller of an operation that took effect).
     */
    private void auditDeferred(Operation op) {
        Object[] r;
        while ((r = op.next()) != null) { // one at a time: an exit meanwhile takes the rest
            try {
                String before = Requester.switchTo((String) r[4]);
                try {
                    report((String) r[0], (String) r[1], (String) r[2], (Provenance) r[3]);
                } finally {
                    Requester.switchBack(before);
                }
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                afterCommitFailed(e);
            }
        }
    }

    private void hold(String what) {
        holder = new Object[] {what, Thread.currentThread(), System.nanoTime()};
    }

    /**
     * Names the calling thread, which holds klpMutex for {@code what} outside an operation (the late
     * callbacks of a class, run by the application thread that first calls it), as what a BUSY
     * refusal reports; returns what {@link #releaseHold} puts back.
     */
    Object[] holdFor(String what) {
        Object[] outer = holder;
        hold(what);
        return outer;
    }

    /** Ends {@link #holdFor}, as {@link #locked} ends its hold; caller still holds klpMutex. */
    void releaseHold(Object[] outer) {
        holder = outer != null && outer[1] == Thread.currentThread() ? outer : null;
    }

    /**
     * Takes klpMutex for an operation. A command's (the control socket's, JMX's) waits at most
     * {@link #lockWait}: an operation that holds it for good (a patch callback that never returns)
     * would otherwise keep every later command waiting, each holding a place of the control socket
     * until even {@code status} is turned away. jlivepatch's own channels (start-up, the watch) and
     * the API wait as long as it takes, as they always did: a BUSY there would drop a start-up
     * patch or leave a failed reconcile's restore undone.
     *
     * @return false for a command that did not get it in time, or was interrupted meanwhile
     */
    private boolean lock() {
        String who = Requester.current();
        if (who.equals(Requester.API) || Requester.isOwnChannel(who)) {
            klpMutex.lock();
            return true;
        }
        if (klpMutex.tryLock()) { // free (or ours): no wait, whatever the thread's interrupt status
            return true;
        }
        try {
            return klpMutex.tryLock(lockWait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The BUSY refusal of a command that could not take klpMutex: what holds it, since when, where. */
    private PatchException lockHeld(String operation, String patchName) {
        Object[] h = holder; // one holder's three parts, read once
        String what = h == null ? null : (String) h[0];
        Thread t = h == null ? null : (Thread) h[1];
        String held = (what == null ? "another operation" : what) + " has held jlivepatch's lock"
                + (what == null ? "" : " for " + Duration.ofNanos(System.nanoTime() - (Long) h[2]).toSeconds() + " s")
                // The thread's and its frame's names are the application's: escaped, the refusal stays one line.
                + (t == null ? "" : " (thread '" + Text.clean(t.getName()) + "'" + Text.clean(where(t)) + ")");
        String waited = Thread.currentThread().isInterrupted() ? "the calling thread was interrupted while it waited"
                : "waited " + lockWait.toSeconds() + " s";
        return new PatchException(Reason.BUSY, patchName, "cannot " + operation
                + (patchName == null ? "" : " patch '" + patchName + "'") + ": " + held + "; " + waited + ", nothing"
                + " was changed: retry; a patch callback that never returns keeps it for good, and only a restart of"
                + " the JVM ends it");
    }

    /**
     * How long a command's operation waits for klpMutex; the control socket's calls wait as long for
     * room for a patch JAR that another call's load holds (ReceivedJarBytes).
     */
    public static Duration lockWait() {
        return lockWait;
    }

    /** Tests: how long an operation waits for the lock (the default's 10 s would make a slow test). */
    public static void lockWaitForTests(Duration wait) {
        lockWait = wait;
    }

    /**
     * Tests: what the link audit remembers for the registrations of patch {@code name}, so as to write each
     * record once: {@code [keys, (registration, class loader) pairs]}. Waits for a write in progress.
     */
    public long[] linkAuditedForTests(String name) {
        return linkAudit.auditedForTests(name);
    }

    /** The first frame of {@code t} outside jlivepatch's internals and the JDK: a patch callback's, most likely. */
    private static String where(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            String c = e.getClassName();
            if (!c.startsWith("io.jlivepatch.internal.") && !c.startsWith("java.") && !c.startsWith("jdk.")
                    && !c.startsWith("sun.")) {
                return ", now in " + c + "." + e.getMethodName();
            }
        }
        return "";
    }

    /**
     * Registers a patch whose replacements are given as methods, the same in every class loader.
     *
     * <p>The API's entries (this, registerAndEnable, load, loadAndEnable, and RegisteredPatch's enable,
     * disable, unregister and forceTransition) mark the caller's thread (RecursionGuard) first, though
     * the operation marks it again: what they run before it is jlivepatch's code too, the JVM's first
     * linking of an operation's lambda included (LambdaMetafactory's StringBuilder.append). Unmarked,
     * a patch of such a JDK method ran there on the application's thread, and one that throws failed
     * the operation before it began (OwnPathsTest). {@code enter}, not {@code enterIfActive}: an
     * operation installs the hooks anyway, before it marks (enter activates first too).
     */
    public PatchHandle register(Patch patch) throws PatchException {
        Operation op = entered("register", patch.name(), null, false); // before the mark: see entered
        int mark = -1; // Recursion.NESTED: releases nothing, should the mark fail
        try {
            // In the try: the JVM's first mark activates the hooks, which may run out of memory; the
            // finally then ends op, which would stay under way for good (a false line at the exit's drain).
            mark = RecursionGuard.enter();
            return register(patch, fixedSources(patch, "register"));
        } catch (PatchException e) {
            throw refusedWhilePreparing(op, e);
        } finally {
            try {
                prepared(op);
            } finally {
                RecursionGuard.exit(mark);
            }
        }
    }

    /**
     * Registers and enables a patch given as methods in one step, under the lock: if the enable is
     * refused, the patch was never registered (see {@link #loadAndEnable}).
     */
    public PatchHandle registerAndEnable(Patch patch) throws PatchException {
        Operation op = entered("load", patch.name(), null, false); // as register(Patch): see there
        int mark = -1; // as register(Patch): the mark in the try
        try {
            mark = RecursionGuard.enter();
            return registerAndEnable(patch, fixedSources(patch, "load"));
        } catch (PatchException e) {
            throw refusedWhilePreparing(op, e);
        } finally {
            try {
                prepared(op);
            } finally {
                RecursionGuard.exit(mark);
            }
        }
    }

    private List<ReplacementSource> fixedSources(Patch patch, String operation) throws PatchException {
        return refusing(operation, patch.name(), patch.name(), () -> {
            List<ReplacementSource> sources = new ArrayList<>();
            for (Patch.Replacement r : patch.replacements()) {
                sources.add(ReplacementSource.fixed(FunctionResolver.handleOf(patch.name(), r)));
            }
            return sources;
        });
    }

    /** Reads, checks and registers a patch JAR; all or nothing. */
    public PatchHandle load(Path jar) throws PatchException {
        return loadFile(jar, false);
    }

    /** {@link #load(PatchJarBytes, boolean, boolean)} of a file, enabled. */
    public PatchHandle loadAndEnable(Path jar) throws PatchException {
        return loadFile(jar, true);
    }

    /** The file's load, an operation under way from its read on ({@link #entered}). */
    private PatchHandle loadFile(Path jar, boolean enable) throws PatchException {
        Operation op = entered("load", jar, null, true); // as register(Patch): see there
        int mark = -1; // as register(Patch): the mark in the try
        try {
            mark = RecursionGuard.enter();
            return load(read(jar), enable, false);
        } catch (PatchException e) {
            throw refusedWhilePreparing(op, e);
        } finally {
            try {
                prepared(op);
            } finally {
                RecursionGuard.exit(mark);
            }
        }
    }

    /** The file's bytes, read once: everything after checks and loads these (see {@link PatchJarBytes}). */
    private PatchJarBytes read(Path jar) throws PatchException {
        String subject = String.valueOf(jar);
        try {
            return PatchJarBytes.read(jar, JarLimits.current());
        } catch (PatchException e) {
            throw refused("load", subject, e);
        }
    }

    /**
     * Checks a patch JAR's content (limits, signature, classes) and registers its patch; with
     * {@code enable}, as one atomic step, the one {@code jlivepatch load} takes: the JAR is prepared
     * outside the lock, then the patch is registered and enabled under it. No other operation ever
     * sees it registered but not enabled, and a refused enable leaves it not registered at all, so
     * that concurrent loads succeed or fail only for their own reasons. While another patch is in
     * transition, it waits up to {@link #LOAD_WAITS_FOR_TRANSITION} for it to end, then refuses
     * with {@code BUSY}.
     *
     * @param requireLoaded refuse ({@code TARGET_NOT_FOUND}) when a target class is loaded in no
     *                      class loader, instead of patching it when it is defined
     */
    public PatchHandle load(PatchJarBytes jar, boolean enable, boolean requireLoaded) throws PatchException {
        // Under way from its entry (see entered), then marked, as prepare marks: the operation under way is a
        // thread-local's, which only marked code uses (underWay). Not a lambda (a Step): a lambda's first use
        // spins a class, and start-up loads come this way.
        Operation op = entered("load", jar.source(), null, true);
        int mark = -1; // as register(Patch): the mark in the try
        try {
            mark = RecursionGuard.enter();
            readIs(of(jar)); // what its content is, for the exit's line: known, and marked, now
            Prepared prepared = prepare(jar, enable, requireLoaded);
            try {
                return load(jar, prepared, enable, requireLoaded);
            } catch (PatchException | RuntimeException | Error e) {
                if (!registered(prepared.sources())) {
                    release(prepared.sources()); // refused: its classes go with it, wherever they were defined
                }
                throw e;
            }
        } catch (PatchException e) {
            throw refusedWhilePreparing(op, e);
        } finally {
            try {
                prepared(op);
            } finally {
                RecursionGuard.exit(mark);
            }
        }
    }

    /**
     * Tells the load's preparation under way on this thread ({@link #entered}: a file's, whose read came before
     * these bytes, or the bytes' own) what its JAR's read told of it, for the exit's line. Caller marked.
     */
    private void readIs(Provenance read) {
        Operation here = underWay.get();
        if (here != null && here.preparation) {
            here.knownAs(read);
        }
    }

    /**
     * Makes an operation of an entry of the API's (or a channel's) under way from the entry's first step, before
     * its lock ({@link Operation#before}; a load's {@link Operation#preparation} when {@code jar}, {@code subject}
     * its JAR's path or source): the hooks' first activation, which the entry's mark makes ({@link
     * RecursionGuard#enter()}; bounded, it may wait for a stretch of jlivepatch's code begun before it), and what
     * the entry checks outside the lock (a JAR read, register's replacements looked up) are the operation's, and
     * an exit meanwhile has it on record, nothing changed. The operation under the lock takes its place while it
     * runs ({@link #locked}). Returns it for {@link #prepared}; null inside an operation (a callback's, refused,
     * as before) or an operation's stretch before its lock already (a file's load reads the file, then loads
     * its bytes: {@code read}, when known, is what the read told of the JAR). Called before the entry marks its
     * thread, so marked here ({@code enterIfActive}): before the activation nothing is hooked, and this must not
     * activate, which is the operation's first step.
     */
    private Operation entered(String operation, Object subject, Provenance read, boolean jar) {
        int mark = RecursionGuard.enterIfActive();
        try {
            Operation here = underWay.get();
            if (here != null) {
                if (here.preparation && read != null) {
                    here.knownAs(read);
                }
                return null;
            }
            String what = String.valueOf(subject);
            Operation op = jar ? Operation.preparation(what, Requester.current(), read)
                    : Operation.before(operation, what, Requester.current());
            underWay(op);
            return op;
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /** What the line of a load whose JAR is being received names until the JAR's path arrives after its content. */
    private static final String RECEIVED = "(sent content)";

    /**
     * A command's load starts to receive its patch JAR over the control socket ({@code ControlSession}: its
     * content of {@code bytes} bytes comes first, its path and digest after it): an operation under way from
     * now on, as a load's {@link Operation#preparation} (its load, {@link #load(PatchJarBytes, boolean, boolean)},
     * goes on in its place on this thread), so that an exit meanwhile has it on record, nothing changed.
     * Returns what to hand to {@link #receivedJar} and {@link #receivingEnded}, which ends it; null when nothing
     * was made under way (the thread runs an operation already; no memory). On a thread that runs marked
     * (RecursionGuard), as the session's does.
     */
    public Object receivingJar(long bytes) {
        Operation op = (Operation) checkingSentJar(RECEIVED);
        if (op != null) {
            op.running("its patch JAR was being received, " + bytes + " bytes announced");
        }
        return op;
    }

    /**
     * A load of a patch JAR whose content was sent whole ({@code source}: the path its sender names; JMX's
     * {@code loadContent}) starts to check it (its copy, its digest) before the registry's load: under way from
     * here, as {@link #receivingJar}'s, and ended by {@link #receivingEnded} too. On a thread that runs marked.
     */
    public Object checkingSentJar(String source) {
        try {
            return entered("load", source, null, true);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            return null; // no memory for it: the load goes on, under way from the registry's load, as before
        }
    }

    /** The JAR of {@code received} ({@link #receivingJar}'s) has arrived whole: read and checked from now on. */
    public void receivedJar(Object received) {
        if (received != null) {
            ((Operation) received).running("its patch JAR was being read and checked");
        }
    }

    /**
     * Ends {@code received}, {@link #receivingJar}'s load (or {@link #checkingSentJar}'s; null: nothing to end), its
     * call done. {@code answered}: the call got to its answer, so its line is on record (the load's own, or its
     * refusal's, made by the registry or the session); else its client went away in the middle (nothing
     * changed, nothing to record, as before). At the JVM's exit, whose close of the socket ends a receive, one
     * not answered is left under way for the exit's line (which may have been written already, {@link
     * #recordUnfinishedAtExit}); one answered is ended all the same: its line is on record, and the drain, which
     * may come after this, must not add a 'cut short' one to its refusal (a digest that is not its content's,
     * refused outside the lock, where its line cannot mark it).
     */
    public void receivingEnded(Object received, boolean answered) {
        if (received == null || !answered && io.jlivepatch.internal.ClosedAtExit.exiting()) {
            return;
        }
        Operation op = (Operation) received;
        if (answered) {
            op.ownLineMade();
        }
        prepared(op);
    }

    /** {@code e}, a refusal of {@link #entered}'s operation {@code op}: on record already (or reported before). */
    private static PatchException refusedWhilePreparing(Operation op, PatchException e) {
        if (op != null) {
            op.ownLineMade(); // the exit adds no line for it
        }
        return e;
    }

    /** Ends {@link #entered}'s operation {@code op} (null: nothing to end). */
    private void prepared(Operation op) {
        if (op != null) {
            op.end();
            overWith(op);
        }
    }

    /** Whether a registered patch has a function from {@code sources}. */
    private boolean registered(List<ReplacementSource> sources) {
        for (RegisteredPatch q : stack) {
            for (ResolvedFunction f : q.resolved()) {
                if (sources.contains(f.source())) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * {@link ReplacementSource#release} of every function of {@code p}, once it is unregistered. Never
     * throws: it comes after the unregistration's commit (or a cumulative patch's), which a failure here
     * must neither undo nor turn into a refusal that says nothing was changed.
     */
    private static void release(RegisteredPatch p) {
        try {
            List<ReplacementSource> sources = new ArrayList<>();
            for (ResolvedFunction f : p.resolved()) {
                sources.add(f.source());
            }
            release(sources);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            releaseFailed(e);
        }
    }

    /** Never throws, as {@link #release(RegisteredPatch)}: each source is released whatever the others do. */
    private static void release(List<ReplacementSource> sources) {
        for (ReplacementSource s : sources) {
            try {
                s.release();
            } catch (RuntimeException | LinkageError | VirtualMachineError e) { // out of memory too (review)
                releaseFailed(e);
            }
        }
    }

    private static void releaseFailed(Throwable e) {
        try {
            Log.get().log(System.Logger.Level.DEBUG, "releasing a patch''s classes failed: {0}", e.toString());
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // not even the message: what stays attached goes with its class loader
        }
    }

    private PatchHandle load(PatchJarBytes jar, Prepared prepared, boolean enable, boolean requireLoaded)
            throws PatchException {
        Step<RegisteredPatch> resolve = () -> {
            RegisteredPatch p = resolve(prepared.patch(), prepared.sources(), prepared.provenance(), jar,
                    prepared.scan());
            p.trustedUnder(prepared.policy());
            if (requireLoaded) {
                refuseUnloaded(p.name(), p.pendingClasses());
            }
            return p;
        };
        // What is refused from here on was prepared: its carried classes stay defined, and it says so.
        String carried = PatchJarLoader.carriedNote(prepared.carried());
        if (!enable) {
            return locked("load", prepared.patch().name(), carried, prepared.provenance(), () -> {
                RegisteredPatch p = resolve.run();
                List<RegisteredPatch> next = with(stack, p);
                stack = next; // the commit
                tookEffect("registered");
                announceRegistered(p, next.size());
                report("load", p.name(), "ok (registered)", p.provenance());
                return p;
            });
        }
        return locked("load", prepared.patch().name(), carried, prepared.provenance(), () -> {
            awaitNoTransition(LOAD_WAITS_FOR_TRANSITION);
            RegisteredPatch p = resolve.run();
            List<RegisteredPatch> next = with(stack, p);
            // The stack with p is published by the transition's commit, together with p's state.
            try {
                enableIn(next, p, true);
            } catch (PatchException | RuntimeException | Error e) {
                if (stack.contains(p)) {
                    throw e;
                }
                // What its prePatch attached, which no class but its own can read, goes with it, and the
                // refusal's record says so, as an unregistration's does: it changed the application's state.
                String detached = OrphanedShadows.detach(p);
                release(p);
                if (detached.isEmpty()) {
                    throw e;
                }
                PatchException refusal;
                if (e instanceof PatchException pe) {
                    refusal = pe;
                } else if (e instanceof RuntimeException || e instanceof LinkageError
                        || e instanceof VirtualMachineError) {
                    refusal = Refusals.unexpected("load", p.name(), "patch '" + p.name() + "'", e); // as refusing does
                } else {
                    throw e;
                }
                throw noted(refusal, ";" + detached.substring(1));
            }
            report("load", p.name(), "ok (registered, enabled)", p.provenance());
            return p;
        });
    }

    /**
     * Refuses ({@code TARGET_NOT_FOUND}) a patch required loaded while {@code pending}, classes it
     * replaces, are loaded in no class loader.
     */
    private static void refuseUnloaded(String name, List<String> pending) throws PatchException {
        if (!pending.isEmpty()) {
            throw new PatchException(Reason.TARGET_NOT_FOUND, name, "patch '" + name + "': "
                    + String.join(", ", pending) + (pending.size() == 1 ? " is" : " are") + " loaded in no"
                    + " class loader (required loaded): check the name, or load without --require-loaded to"
                    + " patch it when it is defined; nothing was changed");
        }
    }

    /**
     * A patch JAR checked and prepared, not registered yet; {@code carried}: the classes preparing
     * defined in the application's class loader for good ({@link PatchJarLoader#carriedClasses}).
     */
    private record Prepared(Patch patch, List<ReplacementSource> sources, Provenance provenance, TrustPolicy policy,
                            List<String> carried, LoadedClasses scan) {
    }

    /**
     * Checks and prepares a JAR for {@link #load(PatchJarBytes, boolean, boolean)}. Preparing a JAR
     * with nestmates loads their hosts and defines the classes it carries in the application's class
     * loader, for good: what the load would be refused for under the lock and can be decided without
     * the JAR's classes is refused before that (the checks under the lock still decide: the state may
     * change in between). A JAR without nestmates defines nothing that outlives a refusal.
     */
    private Prepared prepare(PatchJarBytes bytes, boolean enable, boolean requireLoaded) throws PatchException {
        String subject = bytes.source();
        PatchException refusedBefore = null; // refused (logged, audited) by locked already
        int mark = RecursionGuard.enter();
        try {
            preparingForTests();
            JarLimits limits = JarLimits.current();
            PatchJar jar = PatchJar.read(bytes, limits);
            subject = Patch.isValidName(jar.name()) ? jar.name() : subject;
            TrustPolicy policy = TrustPolicy.current();
            Signature signature = policy.verify(bytes);
            trustCheckedForTests();
            if (policy.enforced()) {
                // before anything of the JAR is defined: a refusal leaves the application as it was
                PatchJarLoader.refuseUncheckedCarried(jar, hooks.instrumentation(), "patch JAR '" + bytes.source()
                        + "' refused: its code");
            }
            // Before the JAR is prepared: preparing defines the classes it carries into the
            // application's class loader for good, which a refusal must not leave behind. The check
            // under the lock (resolve) still decides; this one only spares the common case.
            duplicateName(jar.name(), bytes.source(), bytes.sha256());
            if (!jar.nestmates().isEmpty() && Patch.isValidName(jar.name())) {
                Set<String> replaced = requireLoaded ? PatchJarLoader.replacedClasses(jar) : Set.of();
                try {
                    // Under the lock, as the load's own checks: the wait for a transition needs it,
                    // and a command that cannot get it is refused (BUSY) before anything is defined.
                    locked("load", jar.name(), "", signed(bytes, signature), () -> {
                        refuseBeforePreparing(jar, bytes, replaced, enable, requireLoaded);
                        return null;
                    });
                } catch (PatchException e) {
                    refusedBefore = e;
                    throw e;
                }
            }
            PatchJarLoader.Prepared prepared = PatchJarLoader.prepare(jar, hooks.instrumentation(), bytes.sha256(),
                    policy.enforced());
            Provenance provenance = new Provenance(bytes.source(), bytes.sha256(), signature.recorded(), jar.builds(),
                    Instant.now(), Requester.current());
            return new Prepared(prepared.patch(), prepared.sources(), provenance, policy,
                    PatchJarLoader.carriedClasses(jar), prepared.scan());
        } catch (PatchException e) {
            if (e == refusedBefore) {
                throw e;
            }
            throw refused("load", e.patchName() != null ? e.patchName() : subject, e, of(bytes));
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            // The bytes of the JAR are what is under scrutiny here: a failure to take them apart
            // says the JAR is not what a patch JAR must be.
            PatchException refusal = e instanceof OutOfMemoryError
                    ? Refusals.unexpected("load", null, PatchJar.about(bytes.source()), e)
                    : new PatchException(Reason.INVALID_PATCH, null, PatchJar.about(bytes.source()) + " cannot be read"
                    + " as a patch (" + e + "); nothing was changed. Check that it was made by 'jlivepatch build' or"
                    + " as README's 'Patch JARs' describes", e);
            throw refused("load", subject, refusal, of(bytes));
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /** Run once at the start of the next load's preparation, then cleared; tests. */
    private static volatile Runnable preparationHoldForTests;

    /** Runs {@code hold} on the thread of the next load, as it starts to prepare its JAR (before the lock); for tests. */
    public static void holdPreparationForTests(Runnable hold) {
        preparationHoldForTests = hold;
    }

    private static void preparingForTests() {
        Runnable hold = preparationHoldForTests;
        if (hold != null) {
            preparationHoldForTests = null;
            hold.run();
        }
    }

    /** Run once right after the next load's JAR is checked against the trust policy, then cleared; tests. */
    private static volatile Runnable trustCheckedHoldForTests;

    /**
     * Runs {@code hold} on the thread of the next load, once its JAR is checked against the trust policy and
     * before it is prepared (no lock held); for tests.
     */
    public static void holdAfterTrustCheckForTests(Runnable hold) {
        trustCheckedHoldForTests = hold;
    }

    private static void trustCheckedForTests() {
        Runnable hold = trustCheckedHoldForTests;
        if (hold != null) {
            trustCheckedHoldForTests = null;
            hold.run();
        }
    }

    /**
     * The refusals of a load under the lock that need none of the JAR's classes, in the order the
     * load makes them: a transition that does not end (BUSY), the name, targets loaded nowhere when
     * required loaded, a disabled patch below (ORDER_VIOLATION), states. Caller holds klpMutex.
     *
     * @param bytes    the JAR's content, to tell a second load of the same JAR from another
     * @param replaced the classes the JAR's replacements target
     */
    private void refuseBeforePreparing(PatchJar jar, PatchJarBytes bytes, Set<String> replaced, boolean enable,
                                       boolean requireLoaded) throws PatchException {
        if (enable) {
            awaitNoTransition(LOAD_WAITS_FOR_TRANSITION);
        }
        duplicateName(jar.name(), bytes.source(), bytes.sha256());
        if (requireLoaded) {
            refuseUnloaded(jar.name(), loadedNowhere(replaced, LoadedClasses.named(hooks.instrumentation(), replaced)));
        }
        if (enable) {
            requireNoOtherTransition(jar.name(), "enable");
            requireEnabledBelow(stack, null, jar.name(), jar.replace());
            StateCheck.check(stack, null, jar.name(), jar.states(), jar.replace());
        }
    }

    /** Registers a patch whose i-th replacement comes from the i-th source, per target class loader. */
    public PatchHandle register(Patch patch, List<ReplacementSource> sources) throws PatchException {
        return locked("register", patch.name(), () -> {
            RegisteredPatch p = resolve(patch, sources, Provenance.inCode(Requester.current()), null, null);
            List<RegisteredPatch> next = with(stack, p);
            stack = next; // the commit
            tookEffect("registered");
            announceRegistered(p, next.size());
            report("register", p.name(), "ok");
            return p;
        });
    }

    /** {@link #registerAndEnable(Patch)} with sources, as {@link #register(Patch, List)}. */
    public PatchHandle registerAndEnable(Patch patch, List<ReplacementSource> sources) throws PatchException {
        return locked("load", patch.name(), () -> {
            awaitNoTransition(LOAD_WAITS_FOR_TRANSITION);
            RegisteredPatch p = resolve(patch, sources, Provenance.inCode(Requester.current()), null, null);
            List<RegisteredPatch> next = with(stack, p);
            // The stack with p is published by the transition's commit, together with p's state.
            enableIn(next, p, true);
            report("load", p.name(), "ok (registered, enabled)");
            return p;
        });
    }

    /**
     * Waits, releasing klpMutex, until no transition runs or {@code timeout} has passed; the
     * enable that follows refuses with BUSY in the second case. Caller holds klpMutex.
     */
    private void awaitNoTransition(Duration timeout) {
        long nanos = timeout.toNanos();
        Object[] mine = holder; // the wait lets go of klpMutex: whoever takes it meanwhile writes it
        Operation op = here();
        String before = null;
        try {
            RegisteredPatch other = transitionPatch;
            if (op != null && transition != null && other != null) {
                before = op.running("it was waiting for the transition of patch '" + other.name() + "' to end");
            }
            while (transition != null && nanos > 0) {
                if (transition.heldByCaller() != null) {
                    break; // this thread holds it: it cannot end meanwhile (requireNoOtherTransition says so)
                }
                nanos = transitionDone.awaitNanos(nanos); // pairs with signalAll in finish
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stop waiting; BUSY says the rest
        } finally {
            if (op != null) {
                op.running(before);
            }
            holder = mine != null ? mine : new Object[] {null, Thread.currentThread(), System.nanoTime()};
        }
    }

    /**
     * The patch, checked against the running JVM; nothing is changed. Caller holds klpMutex.
     *
     * @param jar   the JAR it was loaded from, {@code null} for a patch built in code
     * @param known the JAR check's scan of the loaded classes ({@code null} for none): used again while
     *              it {@link LoadedClasses#stillComplete still finds} every class of the patch's names
     */
    private RegisteredPatch resolve(Patch patch, List<ReplacementSource> sources, Provenance provenance,
                                    PatchJarBytes jar, LoadedClasses known) throws PatchException {
        duplicateName(patch.name(), provenance == null ? "" : provenance.source(),
                provenance == null ? null : provenance.sha256());
        if (sources.size() != patch.replacements().size()) {
            throw new IllegalArgumentException(sources.size() + " sources for " + patch.replacements().size()
                    + " replacements");
        }
        PatchCallbacks.checkTargets(patch);
        watchTargets(patch);
        LoadedClasses scan = LoadedClasses.covering(LoadedClasses.ifStillComplete(known, hooks.ledger()),
                hooks.instrumentation(), targetClassNames(patch));
        Map<String, List<Class<?>>> loaded = scan.classes();
        List<ResolvedFunction> functions = new ArrayList<>();
        for (int i = 0; i < patch.replacements().size(); i++) {
            functions.add(resolver.resolve(patch.name(), patch.replacements().get(i), sources.get(i), loaded));
        }
        resolver.checkHolds(patch, loaded);
        List<String> names = new ArrayList<>();
        for (Patch.Replacement r : patch.replacements()) {
            names.add(r.className());
        }
        List<String> pending = loadedNowhere(names, loaded);
        RegisteredPatch p = new RegisteredPatch(this, patch, functions, provenance, jar, pending);
        for (Patch.Replacement r : patch.replacements()) {
            p.checked(loaded.getOrDefault(r.className(), List.of()));
        }
        p.keepScan(scan); // a load's enable follows at once: see scanOf
        return p;
    }

    /** The classes of {@code names} that {@code loaded} finds in no class loader, each once, in order. */
    private static List<String> loadedNowhere(Iterable<String> names, Map<String, List<Class<?>>> loaded) {
        List<String> pending = new ArrayList<>();
        for (String c : names) {
            if (loaded.getOrDefault(c, List.of()).isEmpty() && !pending.contains(c)) {
                pending.add(c);
            }
        }
        return pending;
    }

    /**
     * Has the hooks record every definition of a class of a registered patch's, or of {@code coming}'s,
     * from now on, until a scan sees it loaded (HookLedger.watch): before the scan for {@code coming},
     * so that a definition this scan misses is recorded, and an enable that cannot see it yet follows
     * it. Names of patches unregistered since are dropped here. Caller holds klpMutex.
     */
    private void watchTargets(Patch coming) {
        Set<String> names = targetClassNames(coming);
        for (RegisteredPatch p : stack) {
            names.addAll(targetClassNames(p.patch()));
        }
        hooks.watch(names);
    }

    private static Set<String> targetClassNames(Patch patch) {
        Set<String> names = new HashSet<>();
        for (Patch.Replacement r : patch.replacements()) { // loops, not lambdas: each is a class (issue 10)
            names.add(r.className());
        }
        for (Patch.Hold h : patch.holds()) {
            names.add(h.className());
        }
        return names;
    }

    private static List<RegisteredPatch> with(List<RegisteredPatch> in, RegisteredPatch p) {
        List<RegisteredPatch> out = new ArrayList<>(in.size() + 1);
        out.addAll(in);
        out.add(p);
        return List.copyOf(out);
    }

    private static List<RegisteredPatch> without(List<RegisteredPatch> in, RegisteredPatch p) {
        List<RegisteredPatch> out = new ArrayList<>(in);
        out.remove(p);
        return List.copyOf(out);
    }

    /**
     * After the commit: the log line and the MBean of a patch that entered the stack. Never throws: a
     * failure here (out of memory for the line's arguments) would turn the registration into a refusal
     * that says nothing was changed, with the patch in the stack.
     */
    private void announceRegistered(RegisteredPatch p, int order) {
        try {
            logRegistered(p, order);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            afterCommitFailed(e);
        }
        observeRegistered(p);
    }

    private static void logRegistered(RegisteredPatch p, int order) {
        Log.get().log(System.Logger.Level.INFO,
                "''{0}'': registered, {1} function(s), stack order {2}", p.name(), p.resolved().size(), order);
    }

    /** The MBean of a patch that entered the stack, after the commit. Never throws (Refusals.registered). */
    private void observeRegistered(RegisteredPatch p) {
        RegistryObserver o = observer;
        if (o != null) {
            Refusals.registered(o, p);
        }
    }

    /**
     * Checks the classes of {@code p}'s targets loaded since it was last checked, like
     * registration checks those loaded before it; classes already checked are not checked again.
     * Holds are checked against every loaded class of their names. Changes nothing but the record
     * of checked classes, and that only once all passed.
     */
    private LoadedClasses checkClassesLoadedSince(RegisteredPatch p) throws PatchException {
        LoadedClasses scan = scanOf(p);
        Map<String, List<Class<?>>> loaded = scan.classes();
        List<Class<?>> fresh = new ArrayList<>();
        for (ResolvedFunction f : p.resolved()) {
            for (Class<?> c : loaded.getOrDefault(f.replacement().className(), List.of())) {
                if (!p.wasChecked(c)) {
                    resolver.checkLoaded(p.name(), f.replacement(), f.source(), c,
                            FunctionResolver.handleFor(p.name(), f.replacement(), f.source(), c));
                    fresh.add(c);
                }
            }
        }
        resolver.checkHolds(p.patch(), loaded);
        p.checked(fresh);
        return scan;
    }

    /**
     * The loaded classes of {@code p}'s targets and holds: its last scan while that still finds them
     * all ({@link LoadedClasses#stillComplete}), else a new one, kept for the next operation. One scan
     * costs about a millisecond per two thousand loaded classes, mostly interpreted (it runs rarely),
     * a tenth of a one-method change; a load (register, then enable) and an enable or disable
     * following another one need none. Caller holds klpMutex.
     */
    private LoadedClasses scanOf(RegisteredPatch p) {
        LoadedClasses kept = keptScanOf(p);
        if (kept != null) {
            return kept;
        }
        LoadedClasses scan = LoadedClasses.snapshot(hooks.instrumentation(), targetClassNames(p.patch()));
        p.keepScan(scan);
        return scan;
    }

    /** {@code p}'s kept scan if it still finds all its classes, else {@code null} (no new scan). */
    private LoadedClasses keptScanOf(RegisteredPatch p) {
        return LoadedClasses.ifStillComplete(p.keptScan(), hooks.ledger());
    }

    void enable(RegisteredPatch p) throws PatchException {
        locked("enable", p, () -> {
            requireRegistered(p, "enable");
            if (transition != null && transitionPatch == p && !transition.targetPatched()) {
                // A reversal puts p's code back on every thread: the trust policy is asked as for any
                // enable (refused, the disable goes on).
                checkTrust(p);
                reverse();
                report("enable", p.name(), "ok (transition reversed)", p.provenance());
                return null;
            }
            enableIn(stack, p, false);
            report("enable", p.name(), "ok", p.provenance());
            return null;
        });
    }

    /**
     * Refuses to enable a patch JAR registered under a trust policy weaker than this JVM's now (one
     * raised by a later attach with {@code truststore=}) unless its bytes pass the policy now: else
     * unsigned code registered before would run where only signed code may. A patch built in code
     * is the application's own and never verified. Under an enforcing policy, refuses too a patch whose
     * code would link to a class a patch no policy checked carried (PatchJarLoader.refuseUncheckedCarried,
     * which its load made under the policy, if it had one, before such a class could have been carried
     * since). Caller holds klpMutex.
     */
    private void checkTrust(RegisteredPatch p) throws PatchException {
        TrustPolicy policy = TrustPolicy.current();
        if (!policy.enforced() || p.loadedFrom() == null) {
            return;
        }
        if (p.trustedUnder() == policy) {
            // Checked at its load, which refused a use of a class a patch nothing checked carried. None is carried
            // unchecked after the raise (CarriedClasses.define refuses it, a load under way at the raise included):
            // asked again all the same, as the check costs nothing while no such class exists.
            if (PatchJarLoader.anyUncheckedCarried()) {
                PatchJarLoader.refuseUncheckedCarried(readAgain(p), hooks.instrumentation(), sourcesOf(p), "patch '"
                        + p.name() + "' cannot be enabled: its code");
            }
            return;
        }
        Signature signature;
        try {
            signature = policy.verify(p.loadedFrom());
        } catch (PatchException e) {
            throw new PatchException(e.reason(), p.name(), "patch '" + p.name() + "' was registered before this JVM's"
                    + " trust policy was raised (" + policy.describe() + ") and does not pass it: " + e.getMessage()
                    + "; nothing was changed: unregister it and load a signed version", e);
        }
        // Signed, it still must not link to a class an unchecked patch carried (as its load under the policy
        // would have refused).
        // Read only then: with no unchecked class carried, there is nothing its class files could vouch for.
        PatchJar jar = PatchJarLoader.anyUncheckedCarried() ? readAgain(p) : null;
        if (jar != null) {
            PatchJarLoader.refuseUncheckedCarried(jar, hooks.instrumentation(), sourcesOf(p), "patch '" + p.name()
                    + "' was registered before this JVM's trust policy was raised (" + policy.describe() + "), and"
                    + " its code");
        }
        // Registered unchecked, its signer was recorded as none: the code the enable runs is what this
        // check found signed, so the records (status, MBean, the enable's audit line) name that signer.
        Provenance was = p.provenance();
        p.checkedBy(policy, signature.recorded());
        // So does the line the JVM's exit writes if it cuts this operation short (a callback that exits):
        // the operation under way on this thread named the record it began with.
        Operation op = here();
        if (op != null) {
            op.provenanceReplaced(was, p.provenance());
        }
        PatchJarLoader.checkedLater(jar, sourcesOf(p));
    }

    /** Where the replacements of {@code p} come from, one per function. */
    private static List<ReplacementSource> sourcesOf(RegisteredPatch p) {
        List<ReplacementSource> sources = new ArrayList<>();
        for (ResolvedFunction f : p.resolved()) {
            sources.add(f.source());
        }
        return sources;
    }

    /**
     * The JAR of {@code p} read again from its kept bytes, for a check at its enable. Its load read those
     * bytes whole under the limits of then; the limits in force now may be lower (an attach's), and must
     * not refuse at an enable what the load accepted: the bytes are in memory already, their size known.
     */
    private static PatchJar readAgain(RegisteredPatch p) throws PatchException {
        return PatchJar.read(p.loadedFrom(), new JarLimits(JarLimits.MAX_BYTES, Integer.MAX_VALUE, JarLimits.MAX_BYTES,
                JarLimits.MAX_BYTES, Integer.MAX_VALUE, Integer.MAX_VALUE));
    }

    /**
     * Enables {@code p} as the patch of stack {@code order}: the current stack, or, for a load
     * ({@code registering}), the current one with {@code p} appended, which the transition's commit
     * publishes, followed by p's MBean. Caller holds klpMutex.
     *
     * <p>A load's registration is committed with its enable, so that no other operation ever sees it
     * registered but not enabled (see {@link #load(PatchJarBytes, boolean, boolean)}), but it is logged
     * where the enable begins, in the kernel's order (register, then enable): {@code 'P': registered,
     * ...} before {@code enabling patch 'P'}. Announced at the commit, as it was until 2026-12-07, the
     * log showed a patch enabled before it was registered. Refused from then on, the load logs that the
     * registration was undone, so that the log never claims a patch the stack does not hold; refused
     * before, it logs neither (nothing of it began).
     */
    private void enableIn(List<RegisteredPatch> order, RegisteredPatch p, boolean registering)
            throws PatchException {
        requireNoOtherTransition(p.name(), "enable");
        if (p.isEnabled()) {
            throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "patch '" + p.name() + "' is already enabled:"
                    + " nothing was changed; it needs no second enable ('jlivepatch status', or"
                    + " PatchHandle.isEnabled() in code, shows its state)");
        }
        requireEnabledBelow(order, p, p.name(), p.patch().replace());
        StateCheck.check(order, p);
        checkTrust(p);
        linkAudit.start(); // before any of p's hooks exist, so none of their failures goes unaudited
        boolean announced = false;
        boolean held = registering && retriesAWait(p);
        retryHeld = held ? p : null;
        retryHeldOrder = order.size();
        if (registering && !held) {
            try {
                logRegistered(p, order.size());
                announced = true;
            } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
                // No memory for the line (the logger's making, its arguments): the line is lost, not the load.
                // Until 2026-12-07 this refused the load, as did the same failure at the enabling line below.
            }
        }
        try {
            try {
                if (!held) {
                    Log.get().log(System.Logger.Level.INFO, "enabling patch ''{0}''", p.name());
                }
            } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
                // as the registered line's: the enable goes on without its line
            }
            // Classes loaded since registration are checked like those loaded before it; the same scan
            // finds the classes to hook.
            LoadedClasses loaded = checkClassesLoadedSince(p);
            late.enabling(p); // a load's patch is not in the stack until the commit
            try {
                p.callbacks().prePatchAll(hooks.instrumentation()); // before any call is redirected
                startTransition(order, p, true, registering ? () -> committedLoad(p) : null, loaded);
            } catch (PatchException | RuntimeException | Error e) {
                p.callbacks().undoEnable(); // those prepared before the failure; none after CALLBACK_FAILED
                throw e;
            } finally {
                late.enabling(null);
            }
        } catch (PatchException | RuntimeException | Error e) {
            if (announced && !stack.contains(p)) { // the commit puts p in the stack: not there, nothing of it stays
                registrationUndone(p); // only after its registered line: the undoing of a line never logged says nothing
            }
            throw e;
        }
    }

    /**
     * A load retried by a channel of jlivepatch's own (a watched directory, start-up patches) whose last
     * refusal was a wait for its class loader, already reported ({@link #repeatsAWait}): its
     * {@code 'P': registered} and {@code enabling patch 'P'} lines are held until its outcome is known, so
     * that a retry refused the same way again says so once (as DEBUG lines, with the refusal's), not three
     * INFO lines more at each new class loader; one that ends otherwise logs them at INFO, in the kernel's
     * words, at its commit ({@link #committedLoad}) or its refusal ({@link #refused}). Until 2026-12-07 a
     * prePatch that threw NoClassDefFoundError logged {@code registered}, {@code enabling} and
     * {@code registration undone} at INFO at every retry. Guarded by klpMutex; {@code null} when none.
     */
    private RegisteredPatch retryHeld;
    /** The stack order {@link #retryHeld}'s registered line names. Guarded by klpMutex. */
    private int retryHeldOrder;

    /** Whether {@code p}'s load retries a wait for its class loader already reported to the channel retrying it. */
    private boolean retriesAWait(RegisteredPatch p) {
        if (!Requester.isOwnChannel(Requester.current())) {
            return false;
        }
        String key = waitKey(p.name(), p.provenance());
        synchronized (waitsReported) {
            return waitsReported.containsKey(key);
        }
    }

    /**
     * A load's commit: its held lines, if any ({@link #retryHeld}), then its MBean. Its JAR's wait, if any, is over:
     * a wait of the same JAR after it (taken out of the directory, put back before a loader can take it) is news,
     * not a repeat (until 2026-12-07 it stayed remembered, and such a wait was a DEBUG line with no WARNING and no
     * audit record). Never throws (startTransition's try).
     */
    private void committedLoad(RegisteredPatch p) {
        if (retryHeld == p) {
            retryHeld = null;
            logHeld(p, retryHeldOrder, System.Logger.Level.INFO, false);
        }
        try {
            String key = waitKey(p.name(), p.provenance());
            synchronized (waitsReported) {
                waitsReported.remove(key);
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            // a key's making out of memory: the next wait of this JAR is a DEBUG line, as before, nothing worse
        }
        observeRegistered(p);
    }

    /**
     * {@link #retryHeld}'s lines at {@code level}: registered, enabling and, for a refusal
     * ({@code undone}), the registration undone. Never throws: each line that finds no memory is lost alone.
     */
    private static void logHeld(RegisteredPatch p, int order, System.Logger.Level level, boolean undone) {
        try {
            Log.get().log(level, "''{0}'': registered, {1} function(s), stack order {2}", p.name(),
                    p.resolved().size(), order);
        } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
            // as enableIn's: the line is lost, not the operation
        }
        try {
            Log.get().log(level, "enabling patch ''{0}''", p.name());
        } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
            // as above
        }
        if (undone) {
            try {
                Log.get().log(level, "''{0}'': enable failed, registration undone", p.name());
            } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
                // as above
            }
        }
    }

    /**
     * {@code 'P': enable failed, registration undone}, after its {@code 'P': registered} line, the load
     * refused. Never throws: the refusal that follows is what the caller must get.
     */
    private static void registrationUndone(RegisteredPatch p) {
        try {
            Log.get().log(System.Logger.Level.INFO, "''{0}'': enable failed, registration undone", p.name());
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // no memory for the line: the refusal's own line, which follows, says nothing was changed
        }
    }

    void disable(RegisteredPatch p) throws PatchException {
        locked("disable", p, () -> {
            requireRegistered(p, "disable");
            if (transition != null && transitionPatch == p && transition.targetPatched()) {
                reverse();
                report("disable", p.name(), "ok (transition reversed)", p.provenance());
                return null;
            }
            requireNoOtherTransition(p.name(), "disable");
            if (!p.isEnabled()) {
                throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "patch '" + p.name() + "' is not enabled:"
                        + " nothing was changed; it needs no disable (its methods run without it), and unregister"
                        + " removes it ('jlivepatch status', or PatchHandle.isEnabled() in code, shows its state)");
            }
            List<RegisteredPatch> order = stack;
            // every patch enabled above, the top first: advising the next one alone, with another enabled
            // above it, advised a disable that is refused too (as unload's advice says them all)
            List<String> above = new ArrayList<>();
            for (int i = order.size() - 1, at = order.indexOf(p); i > at; i--) {
                if (order.get(i).isEnabled()) {
                    above.add("'" + order.get(i).name() + "'");
                }
            }
            if (!above.isEmpty()) {
                boolean one = above.size() == 1;
                throw new PatchException(Reason.ORDER_VIOLATION, p.name(), "cannot disable patch '" + p.name()
                        + "' while " + String.join(", ", above) + (one ? ", enabled after it, is" : ", enabled after it,"
                        + " are") + " still enabled: patches come off in reverse order" + (one ? ", disable "
                        + above.get(0) + " first" : ", the top first: disable " + String.join(", then ", above)
                        + ", then '" + p.name() + "'"));
            }
            try {
                Log.get().log(System.Logger.Level.INFO, "disabling patch ''{0}''", p.name());
            } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
                // no memory for the line: lost, and the disable goes on (it refused the disable before)
            }
            p.callbacks().preUnpatchAll();
            p.countStates(false); // stateVersion stops counting it when its disable starts
            try {
                startTransition(order, p, false, null, keptScanOf(p));
            } catch (PatchException | RuntimeException | Error e) {
                p.countStates(true); // still enabled: it ends like a reversed disable
                p.callbacks().closing(true);
                throw e;
            }
            report("disable", p.name(), "ok", p.provenance());
            return null;
        });
    }

    /**
     * Refuses ({@code ORDER_VIOLATION}) to enable patch {@code name}, {@code self} in {@code order}
     * (null: not in it yet, so above all), while a patch below it is disabled, unless it is cumulative.
     */
    private static void requireEnabledBelow(List<RegisteredPatch> order, RegisteredPatch self, String name,
                                            boolean replace) throws PatchException {
        for (RegisteredPatch before : order) {
            if (before == self || replace) {
                break; // a cumulative patch may be enabled whatever the state of the patches below it
            }
            if (!before.isEnabled()) {
                throw new PatchException(Reason.ORDER_VIOLATION, name, "cannot enable patch '" + name
                        + "' while '" + before.name() + "', registered before it, is disabled: enable '"
                        + before.name() + "' first, or unregister it");
            }
        }
    }

    private void requireNoOtherTransition(String name, String operation) throws PatchException {
        RegisteredPatch other = transitionPatch;
        Transition t = transition;
        if (t != null && other != null) {
            // Asked for by a thread the transition waits for (a replacement that disabled its own
            // patch, say): waiting or retrying there never sees it complete (awaitTransition says false).
            String[] self = t.heldByCallerInside(); // inside: the patch's code that asked, as status names it
            String held = self == null ? null : self[0];
            String what = held == null ? " (awaitTransition, 'jlivepatch status'), or force it"
                    : ": this thread holds that transition itself (it runs " + held + " in the state before it"
                    + (self[1].isEmpty() ? "" : ", inside " + self[1]) + "),"
                    + " so it cannot complete while this thread waits or retries here; ask from another thread,"
                    + " or once " + held + " has returned";
            if (other.name().equals(name)) {
                // itself, already on its way to what is asked
                throw new PatchException(Reason.BUSY, name, "cannot " + operation + " patch '" + name + "': it is"
                        + " " + (t.targetPatched() ? "being enabled" : "being disabled") + " already, its"
                        + " transition still running" + (held == null ? ": wait for it to complete" + what : what));
            }
            throw new PatchException(Reason.BUSY, name, "cannot " + operation + " patch '" + name
                    + "' while patch '" + other.name() + "' is in transition"
                    + (held == null ? ": retry when it has completed" + what : what));
        }
    }

    /** Adds replacement class, method name and patch name of each of {@code p}'s replacements to {@code code}. */
    private static void patchCode(RegisteredPatch p, List<String[]> code) {
        for (ResolvedFunction f : p.resolved()) {
            java.lang.reflect.Method m = f.replacement().replacement();
            code.add(new String[] {m.getDeclaringClass().getName(), m.getName(), p.name()});
        }
    }

    /**
     * Puts in {@code own} what tells whether {@code p}'s JAR's own loaders (those made so far) defined a
     * class of a name (OwnClasses); nothing for a patch built in code, whose classes are the application's.
     */
    private static void ownClasses(RegisteredPatch p, Map<String, java.util.function.Predicate<String>> own) {
        java.util.Set<ClassLoader> loaders = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (ResolvedFunction f : p.resolved()) {
            loaders.addAll(f.source().ownLoaders());
        }
        if (!loaders.isEmpty()) {
            own.put(p.name(), new OwnClasses(loaders));
        }
    }

    /**
     * The kernel's {@code klp_init_transition} + {@code klp_start_transition}: hooks in place for
     * both sides, every thread in the state before the transition, then one synchronous attempt
     * to move them all; the worker retries what is left. Everything that can fail comes before
     * the commit. Caller holds klpMutex.
     *
     * @param order    the stack with {@code p} in it, published by the commit
     * @param onCommit reports what the commit published; it must not throw. {@code null} when there is
     *                 nothing to report: not an empty lambda, whose first use spins a class through
     *                 java.lang.invoke at the first enable of a JVM (ClassInit.byName)
     * @param loaded   this operation's scan of {@code p}'s classes, or {@code null}
     */
    private void startTransition(List<RegisteredPatch> order, RegisteredPatch p, boolean patching, Runnable onCommit,
                                 LoadedClasses loaded) throws PatchException {
        List<String[]> methods = new ArrayList<>();
        for (ResolvedFunction f : p.resolved()) {
            methods.add(new String[] {f.replacement().className(), f.spec().name(), f.spec().descriptor()});
        }
        // Held methods are not hooked, but hold a thread like the patch's own (DESIGN, consistency model).
        for (Patch.Hold h : p.patch().holds()) {
            methods.add(new String[] {h.className(), h.methodName(), h.descriptor()});
        }
        boolean replacing = patching && p.patch().replace();
        if (replacing) {
            // Atomic replace: every function of the other enabled patches changes version too (back
            // to the original where the cumulative patch has none), so each holds a thread like the
            // patch's own, and so do their held methods: no thread mixes versions of any of them.
            for (RegisteredPatch q : order) {
                if (q != p && q.isEnabled()) {
                    for (ResolvedFunction f : q.resolved()) {
                        methods.add(new String[] {f.replacement().className(), f.spec().name(), f.spec().descriptor()});
                    }
                    for (Patch.Hold h : q.patch().holds()) {
                        methods.add(new String[] {h.className(), h.methodName(), h.descriptor()});
                    }
                }
            }
        }
        // For status only: which frames under a held method are a patch's own code (Waiter.inside).
        List<String[]> code = new ArrayList<>();
        patchCode(p, code);
        for (RegisteredPatch q : order) {
            if (q != p) {
                patchCode(q, code);
            }
        }
        // ...and which classes each patch's own loaders defined: a loader's name alone may be forged
        Map<String, java.util.function.Predicate<String>> own = new HashMap<>();
        ownClasses(p, own);
        for (RegisteredPatch q : order) {
            if (q != p) {
                ownClasses(q, own);
            }
        }
        Transition t = new Transition(p.name(), methods, code, own, patching);
        if (loaded != null && loaded.classes().isEmpty()) {
            // The operation's scan found none of p's classes (a start-up patch's, say): while none
            // is loaded no stack can hold one of its methods, and the worker needs no snapshot.
            t.skipSnapshotWhileUnloaded(loaded, hooks.instrumentation(), hooks.ledger());
        }
        LinkTable during = LinkTable.transition(enabledFunctions(order, p, false),
                replacing ? List.of(p.activeFunctions()) : enabledFunctions(order, p, true), t, heldHooks(p, loaded));
        // Before anything changes, what can fail: the worker's hand-over (its RetryStep objects) and the
        // worker's thread (started the first time). After the commit they are only published.
        TransitionWorker.Work retry = retryWork(t);
        String requester = Requester.current();
        Thread w = worker.ensureRunning();
        if (patching) {
            holdLinkRecords(); // the hooks that put p into classes defined from now on
        }
        switchTo(p, during, loaded);
        // The commit: plain writes, nothing that allocates or can fail.
        t.setWorker(w);
        stack = order;
        transitionPatch = p;
        transition = t;
        transitionRequester = requester;
        p.setEnabled(patching);
        t.start(); // every site routes by thread state now (switchTo ends with relinkAll + syncAll)
        tookEffect(patching ? "its patching transition in progress" : "its unpatching transition in progress");
        boolean completed = false;
        try {
            afterCommitForTests();
            if (onCommit != null) {
                onCommit.run();
            }
            Log.get().log(System.Logger.Level.INFO, "''{0}'': starting {1} transition", p.name(),
                    patching ? "patching" : "unpatching");
            if (AuditLog.jfrStarted()) { // a JVM that never records loads no event class
                JfrEvents.transitionBegins(t);
            }
            completed = tryComplete(t);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            afterCommitFailed(e);
        } finally {
            if (!completed && transition == t) {
                // Whatever happened since the commit, a committed transition is always retried: the
                // worker's first look comes a few milliseconds from now.
                worker.publish(retry);
            }
        }
    }

    /**
     * What failed after a commit (out of memory for a log line's arguments, in the first attempt's
     * record of a transition's end): the operation stands, and says "ok" where it still can. Thrown
     * on, it would reach the operation's undo (enableIn's postUnpatch callbacks, disable's
     * closing(true)) and its refusal, which says nothing was changed, while the patch is committed in
     * its new state; the worker retries what is left of a transition. A constant message: nothing to
     * allocate here.
     */
    private static void afterCommitFailed(Throwable e) {
        try {
            Log.get().log(System.Logger.Level.ERROR, "a step after a commit failed; the operation took effect,"
                    + " and the transition worker retries what is left of a transition in progress", e);
        } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
            // no memory for the logger's making either: the operation stands all the same
        }
    }

    /** Thrown once right after the next transition's commit (a reversal's, a force's), then cleared; tests. */
    static volatile Error afterCommitFailureForTests;

    /** Makes the step right after the next transition's commit fail with {@code e}; for tests. */
    public static void failAfterNextCommitForTests(Error e) {
        afterCommitFailureForTests = e;
    }

    /** Run by a transition's end at its hand-over to the record, before its commit (finish0); tests. */
    private static volatile Runnable endHandOverForTests;

    /** Runs {@code hand} at each transition end's hand-over to the record, before its commit; tests. */
    public static void atEndHandOverForTests(Runnable hand) {
        endHandOverForTests = hand;
    }

    /** Run by a transition's end past its closing callbacks and record, closingPatch still set; tests. */
    private static volatile Runnable closingHoldForTests;

    /** Holds each transition's end in its closing steps, no callback running, while {@code hold} runs; tests. */
    public static void holdClosingForTests(Runnable hold) {
        closingHoldForTests = hold;
    }

    /**
     * Makes the next patch callback's set-up (PatchCallbacks.run) fail with {@code e} after its writes, before the
     * callback runs; for tests.
     */
    public static void failNextCallbackSetUpForTests(Error e) {
        PatchCallbacks.failNextSetUpForTests(e);
    }

    /**
     * Makes the next listing of a patch's prepared classes for its callbacks (PatchCallbacks.preparedClasses) fail
     * with {@code e}, as when there is no memory for the list; for tests.
     */
    public static void failNextClosingListForTests(Error e) {
        PatchCallbacks.failNextListForTests(e);
    }

    /** Thrown once by the next closing operation's making on the transition worker, then cleared; tests. */
    private static volatile Error closingOperationFailureForTests;

    /**
     * Makes the making of the next transition end's closing operation on the worker (its object, its place among
     * the operations under way) fail with {@code e}, as when there is no memory for it; for tests.
     */
    public static void failNextClosingOperationForTests(Error e) {
        closingOperationFailureForTests = e;
    }

    private static void closingOperationForTests() {
        Error injected = closingOperationFailureForTests;
        if (injected != null) {
            closingOperationFailureForTests = null;
            throw injected;
        }
    }

    private static void afterCommitForTests() {
        Error injected = afterCommitFailureForTests;
        if (injected != null) {
            afterCommitFailureForTests = null;
            throw injected;
        }
    }

    /**
     * The held methods to hook for a transition of {@code p}, per class name: those of loaded classes
     * that can be hooked, as each declares them (static or not). A thread entering one moves itself
     * there; without the hook it moves only when the worker finds it outside every held method,
     * which a thread that re-enters one at once may never be. Classes not loaded yet, or that
     * cannot be hooked, are left to the worker's stack checks.
     */
    private Map<String, List<MethodSpec>> heldHooks(RegisteredPatch p, LoadedClasses scan) {
        if (p.patch().holds().isEmpty()) {
            return Map.of();
        }
        Set<String> names = new HashSet<>();
        p.patch().holds().forEach(h -> names.add(h.className()));
        Map<String, List<Class<?>>> loaded = LoadedClasses.covering(scan, hooks.instrumentation(), names).classes();
        Map<String, List<MethodSpec>> held = new HashMap<>();
        for (Patch.Hold h : p.patch().holds()) {
            for (Class<?> c : loaded.getOrDefault(h.className(), List.of())) {
                Method m = Reflection.findDeclared(c, h.methodName(), h.descriptor());
                if (m != null && !Modifier.isAbstract(m.getModifiers()) && !Modifier.isNative(m.getModifiers())
                        && Patchability.refusal(hooks.instrumentation(), c) == null) {
                    held.computeIfAbsent(h.className(), k -> new ArrayList<>())
                            .add(new MethodSpec(h.methodName(), h.descriptor(), Modifier.isStatic(m.getModifiers())));
                    break;
                }
            }
        }
        return held;
    }

    /**
     * The worker's hand-over of {@code t}, which retries it until it ends: made before {@code t}'s
     * commit (its RetryStep objects allocate), published after it if the
     * first attempt left it incomplete. One per hand-over (TransitionWorker.Work). Caller holds klpMutex.
     */
    private TransitionWorker.Work retryWork(Transition t) {
        return worker.prepare(new RetryStep(t, true), new RetryStep(t, false));
    }

    /**
     * What the worker asks of {@code t}: an attempt to complete it, or whether it ended. A class of
     * its own, not two lambdas: a lambda's first use spins a class through java.lang.invoke, and every
     * enable makes these (start-up patches included: BENCHMARKS.md, section 4), most never used.
     */
    private final class RetryStep implements java.util.function.BooleanSupplier {
        private final Transition t;
        private final boolean attempt;

        RetryStep(Transition t, boolean attempt) {
            this.t = t;
            this.attempt = attempt;
        }

        @Override
        public boolean getAsBoolean() {
            return attempt ? tryCompleteOnWorker(t) : transition != t;
        }
    }

    /**
     * Who started the running transition, or last reversed it: what the worker does to end it
     * (the records of its end, a cumulative patch's replaced patches, the closing callbacks'
     * failures) is done on that requester's account. Written under klpMutex with the transition;
     * volatile for the worker's read before it takes the lock.
     */
    private volatile String transitionRequester = Requester.API;

    /** {@link #tryComplete} on the worker's thread, credited to the transition's requester. */
    private boolean tryCompleteOnWorker(Transition t) {
        String before = Requester.switchTo(Requester.forTransition(transitionRequester));
        try {
            return tryComplete(t);
        } finally {
            Requester.switchBack(before);
        }
    }

    /** The kernel's {@code klp_reverse_transition}. Caller holds klpMutex. */
    private void reverse() {
        Transition t = transition;
        RegisteredPatch p = transitionPatch;
        // Before the commit, what can fail: a new hand-over (the worker restarts its back-off from the
        // first step when it sees new work: the target changed) and the worker's thread.
        TransitionWorker.Work retry = retryWork(t);
        String requester = Requester.current();
        Thread w = worker.ensureRunning();
        t.reverse(); // the commit
        p.setEnabled(t.targetPatched());
        tookEffect(t.targetPatched() ? "its transition reversed, patching in progress"
                : "its transition reversed, unpatching in progress");
        transitionRequester = requester;
        t.setWorker(w);
        boolean completed = false;
        try {
            afterCommitForTests();
            Log.get().log(System.Logger.Level.INFO, "''{0}'': reversing transition from {1} to {2}", p.name(),
                    t.targetPatched() ? "unpatching" : "patching", t.targetPatched() ? "patching" : "unpatching");
            if (AuditLog.jfrStarted()) { // a JVM that never records loads no event class
                JfrEvents.transitionReversed(t);
            }
            completed = tryComplete(t);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            afterCommitFailed(e); // the reversal stands, as startTransition's commit does
        } finally {
            if (!completed && transition == t) {
                worker.publish(retry);
            }
        }
    }

    /**
     * One attempt to end transition {@code t} (the kernel's {@code klp_try_complete_transition}):
     * moves the threads it can, and once every thread is in the target state relinks the call
     * sites to their direct targets and removes the hooks the target state does not need. Never
     * throws: the worker must survive whatever goes wrong and retry.
     */
    private boolean tryComplete(Transition t) {
        if (transition != t) {
            return true; // completed, forced or replaced meanwhile
        }
        try {
            if (!t.tryMoveAll()) {
                return false;
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            Log.get().log(System.Logger.Level.ERROR, "'" + t.patchName()
                    + "': checking the threads' stacks failed; retrying", e);
            return false;
        }
        klpMutex.lock();
        try {
            if (transition != t) {
                return true; // completed, forced or replaced meanwhile
            }
            // Re-checked under the lock: a reversal (which holds it) may have flipped the target.
            if (!t.allInTarget()) {
                return false;
            }
            hold("the end of the transition of patch '" + t.patchName() + "'"); // its post callbacks run here
            return finish(t);
        } finally {
            holder = null;
            klpMutex.unlock();
        }
    }

    /**
     * Ends transition {@code t}, every thread being in the target state. Inside an operation, its
     * records (the patches a cumulative patch replaces, the closing callbacks' failures, then the
     * transition's end) follow the operation's own line, as the change follows its start. Caller holds klpMutex.
     */
    private boolean finish(Transition t) {
        boolean defer = here() != null && deferring == null; // inside this thread's operation
        if (defer) {
            deferring = Thread.currentThread();
        }
        try {
            return finish0(t);
        } finally {
            if (defer) {
                deferring = null;
            }
        }
    }

    private boolean finish0(Transition t) {
        RegisteredPatch p = transitionPatch;
        boolean replaced = t.targetPatched() && p.patch().replace();
        if (t.targetPatched()) {
            holdLinkRecords(); // inside the operation that enables p (its force, say): see there
        }
        try {
            // After an atomic replace only the cumulative patch's functions stay hooked.
            // The kept scan covers a disable's classes, whose hooks go now (HookManager scans
            // itself for what it does not cover: an atomic replace's other patches).
            hooks.apply(LinkTable.of(replaced ? List.of(p.activeFunctions())
                    : enabledFunctions(stack, p, t.targetPatched())), keptScanOf(p));
        } catch (HookFailure | RuntimeException | LinkageError | VirtualMachineError e) {
            Log.get().log(System.Logger.Level.ERROR,
                    "''{0}'': ending the transition failed, retrying: {1}", p.name(), e.getMessage());
            String why = String.valueOf(e.getMessage() != null ? e.getMessage() : e);
            // On record once per distinct failure, as status shows it, not once per retry (the worker's
            // back-off retries it for as long as it fails); its end, when a retry succeeds, follows.
            boolean news = !why.equals(t.endFailure());
            t.endFailed(why); // for status (endFailure)
            if (news) {
                report("transition", p.name(), "ending the transition failed, retrying: " + why, p.provenance());
            }
            return false;
        }
        // Made before the commit, as a transition's hand-over is: the stack without the patches a
        // cumulative patch replaces. A failure up to here leaves the transition as it was, retried,
        // with nothing on record that says "complete" of a transition then retried.
        Replaced gone = replaced ? Replaced.of(stack, p) : null;
        // Every thread has moved and the hooks are as the target state needs: from here an exit's record of
        // this end is an operation's line, not the transition's "in progress" one (unfinishedAtExit). Inside this
        // thread's operation, its own, which claims the end before its effect says "complete"; on the worker, the
        // closing operation, which claims it before it is under way, before the commit. Without either (no memory
        // for the closing operation), the end's own line, written now, before the commit and the callbacks, as
        // it was before 2026-12-07: until then no record of the end was made before the callbacks had returned,
        // and an exit during one (a callback's System.exit) left none at all (ExitingCallbackTest).
        Operation own = here();
        Operation closing = own == null ? closingOnWorker(t, p) : null;
        boolean endFirst = own == null && closing == null;
        if (own != null) {
            own.claimEnd(t); // first: an exit that finds its effect "complete" finds this too
            if (deferring == Thread.currentThread()) { // inside this thread's operation, which ends it
                tookEffect(completeAs(t));
            }
        } else if (endFirst) {
            report("transition", p.name(), endLine(t), p.provenance()); // never throws
            endOnRecord = t; // an exit from now on writes no "in progress" line against it (unfinishedAtExit)
        }
        Runnable handOver = endHandOverForTests;
        if (handOver != null) {
            handOver.run();
        }
        Object[] by;
        try {
            // the worker's requester without its closing operation too (no memory for that): jlivepatch (for ...)
            String who = own != null ? own.requester : closing != null ? closing.requester : Requester.current();
            // the token of the command's connection whose call the transition ended inside (on this thread); the
            // worker's end holds no command's call
            by = new Object[] {p, who, own != null ? Requester.session() : null};
        } catch (VirtualMachineError noRoom) {
            by = null; // status says null, and a command held by its own closing waits for its answer, as before
        }
        closingSeq++; // odd: a closing's fields are being written (pairs with the reads in closing)
        closingBy = by;
        closingPatch = p; // before the commit: a reader that sees transitionPatch cleared sees this set
        transition = null; // the commit: from here on nothing may skip the closing steps below
        transitionPatch = null;
        try {
            closeEnded(t, p, gone, closing, endFirst);
        } finally {
            closingPatch = null; // the kernel's klp_transition_patch = NULL, after the callbacks and the line
            closingBy = null;
            closingSeq++; // even: the closing's fields are cleared (closing)
        }
        return true;
    }

    /**
     * The kernel's end of klp_complete_transition, past finish0's commit: what a cumulative patch replaces goes,
     * the closing callbacks run, then the "complete" record and line. Seen as still in transition meanwhile
     * ({@link #closingPatch}). {@code closing}: the worker's operation under way ({@link #closingOnWorker}), or
     * null; {@code onRecord}: the end's line is made already (finish0, when there was no memory for that
     * operation). Never throws. Caller holds klpMutex.
     */
    private void closeEnded(Transition t, RegisteredPatch p, Replaced gone, Operation closing, boolean onRecord) {
        // A patch's states count from before its postPatch, and before the replaced patches go, so
        // that a lock-free stateVersion never sees neither (StateCheck reads the stack).
        try {
            p.countStates(t.targetPatched());
            if (gone != null) {
                removeReplaced(p, t.forced(), gone); // without their callbacks; their states stop counting with them
            }
            // The closing callbacks run before awaitTransition can return (it waits for transitionDone
            // under klpMutex, which is held here).
            try {
                p.callbacks().closing(t.targetPatched());
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                afterCommitFailed(e); // out of memory in the callbacks' own failure line, say
            }
            // When the change took effect on every thread and its closing callbacks returned, on record (the
            // operation's own line says only that it began), as the kernel's klp_complete_transition prints
            // "patching complete" after the post callbacks: after their failures' records. Before the
            // transition is seen ended, so that whoever waited for that finds the record. On the worker it is
            // the closing operation's own line (report marks it made): an exit from now on adds none; one
            // during a callback writes that operation's cut-short line instead of it. Never throws (report).
            if (!onRecord) {
                report("transition", p.name(), endLine(t), p.provenance());
            }
            endOnRecord = t; // before the operation that claimed the end leaves the exit's list (finally below)
            Runnable hold = closingHoldForTests;
            if (hold != null) {
                hold.run();
            }
        } finally {
            if (closing != null) {
                closing.end();
                overWith(closing);
            }
        }
        // The worker, if it is what completed the transition, ends with what the closing callbacks
        // (a patch's code) left on it; its successor serves the next transition. Neither throws, and
        // both must come: a waiter (awaitTransition, a load's wait) would otherwise wait out its time.
        worker.retireIfCurrent();
        transitionDone.signalAll(); // pairs with the awaitNanos of awaitTransition and awaitNoTransition
        try {
            Log.get().log(System.Logger.Level.INFO, "''{0}'': {1} complete", p.name(),
                    t.targetPatched() ? "patching" : "unpatching");
            if (AuditLog.jfrStarted()) { // a JVM that never records loads no event class
                JfrEvents.transitionEnds(t);
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            afterCommitFailed(e);
        }
    }

    /** {@code patching complete}, {@code unpatching complete, forced}: how far {@code t} got, ended. Constants. */
    private static String completeAs(Transition t) {
        return t.targetPatched() ? (t.forced() ? "patching complete, forced" : "patching complete")
                : (t.forced() ? "unpatching complete, forced" : "unpatching complete");
    }

    /**
     * The outcome of {@code t}'s end on record, {@code ok (patching complete)}: constants, so that the line of
     * an end with no memory for its closing operation has nothing of its own to allocate (finish0).
     */
    private static String endLine(Transition t) {
        return t.targetPatched() ? (t.forced() ? "ok (patching complete, forced)" : "ok (patching complete)")
                : (t.forced() ? "ok (unpatching complete, forced)" : "ok (unpatching complete)");
    }

    /**
     * The end of {@code t} on a thread outside any operation (the transition worker's), made an operation
     * under way from just before the end's commit until its closing callbacks have returned and its {@code ok}
     * line is made (that line is its own), so that an exit meanwhile has its line instead
     * ({@code transition ... cut short: ... its postPatch callback for ... was running}), as an operation's own
     * end says it. Null inside an operation, which says it itself, or when there is no memory for it: the
     * callbacks run all the same, after the end's own line (finish0). Caller holds klpMutex, every thread in
     * the target state.
     */
    private Operation closingOnWorker(Transition t, RegisteredPatch p) {
        if (here() != null) {
            return null;
        }
        try {
            closingOperationForTests();
            Operation op = new Operation("transition", p.name(), Requester.current(), p.provenance());
            op.claimEnd(t);
            op.effect(completeAs(t));
            underWay(op); // claimed before the exit can find it (unfinishedAtExit)
            return op;
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            return null; // underWay took it out again
        }
    }

    /**
     * What {@link #removeReplaced} changes, made before the commit of a cumulative patch's transition
     * end: the patches below it, whether each was enabled, and the stack without them.
     */
    private record Replaced(List<RegisteredPatch> below, boolean[] wasEnabled, List<RegisteredPatch> kept) {
        static Replaced of(List<RegisteredPatch> stack, RegisteredPatch p) {
            int at = Math.max(stack.indexOf(p), 0);
            // The patches below it go; any registered above it meanwhile (disabled: none can be enabled
            // while it is in transition) stay, as in the kernel, which never frees a newer patch.
            List<RegisteredPatch> below = List.copyOf(stack.subList(0, at));
            boolean[] wasEnabled = new boolean[below.size()];
            for (int i = 0; i < wasEnabled.length; i++) {
                wasEnabled[i] = below.get(i).isEnabled();
            }
            return new Replaced(below, wasEnabled, List.copyOf(stack.subList(at, stack.size())));
        }
    }

    /**
     * The kernel's {@code klp_free_replaced_patches}: once a cumulative patch's transition has
     * completed, every patch below it is disabled and unregistered, without its callbacks (the
     * cumulative patch took over what they set up). It follows the commit of the transition's end,
     * so it never throws: first the plain writes, for every patch (the stack and the flags, made before
     * the commit in {@code gone}), then the records, each of which may fail alone (out of memory for
     * its text) and is logged. Caller holds klpMutex.
     */
    private void removeReplaced(RegisteredPatch p, boolean forced, Replaced gone) {
        List<RegisteredPatch> below = gone.below();
        stack = gone.kept(); // the commit
        for (int i = 0; i < below.size(); i++) { // indexed: an iterator would be an allocation
            RegisteredPatch q = below.get(i);
            q.setEnabled(false);
            q.setUnregistered();
            linkAudit.forget(q.auditLabel()); // never throws
            if (forced && gone.wasEnabled()[i]) {
                // The forced transition moved threads that were still running its code: they may run
                // it on, as those of a forced patch do (status keeps it, its shadow values stay).
                q.setForced(true);
                q.setLeftByForce();
            }
        }
        for (int i = 0; i < below.size(); i++) {
            RegisteredPatch q = below.get(i);
            String detached = "";
            try {
                keepIfForced(q, "replaced by '" + p.name() + "'");
                try {
                    Log.get().log(System.Logger.Level.INFO, "''{0}'': replaced by ''{1}'', unregistered",
                            q.name(), p.name());
                } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
                    // lost alone, as unregister's: the shadows' detaching (and its record) must not go with it
                }
                detached = OrphanedShadows.detach(q);
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                afterCommitFailed(e);
            }
            release(q);
            try {
                report("unregister", q.name(), "ok (replaced by '" + p.name() + "'" + (gone.wasEnabled()[i]
                        ? ", was enabled" : ", was disabled") + detached + ")", q.provenance());
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                afterCommitFailed(e);
            }
            RegistryObserver o = observer;
            if (o != null) {
                Refusals.unregistered(o, q);
            }
        }
    }

    void force(RegisteredPatch p) throws PatchException {
        locked("force", p, () -> {
            if (transition == null || transitionPatch != p) {
                throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "patch '" + p.name()
                        + "' is not in transition: there is nothing to force");
            }
            Transition t = transition;
            try {
                Log.get().log(System.Logger.Level.WARNING,
                        "''{0}'': forcing the transition; threads still in old code keep running it", p.name());
            } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
                // no memory for the line: lost, and the force goes on (it refused the force before)
            }
            // From here on there is no way back, as in the kernel: every thread is in the target state.
            t.force(); // the commit
            p.setForced(true);
            tookEffect("forced, the transition's end in progress");
            if (!t.targetPatched()) {
                p.setLeftByForce(); // threads inside its code were moved off it
            }
            boolean finished;
            try {
                afterCommitForTests();
                finished = finish(t);
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                // Out of memory for the end's record, say: thrown on, the force would be refused with
                // "nothing was changed" while every thread was moved. Before finish's own commit the
                // transition stays, and the worker, which has it, ends it; after it, it ended.
                afterCommitFailed(e);
                finished = transition != t;
            }
            if (!finished) {
                // Not a refusal: the force took effect and cannot be undone; only the transition's end
                // (its relink, its record) is left, and the worker retries it (its end is logged as usual).
                report("force", p.name(), "ok (forced; ending the transition (relinking) failed and is retried by"
                        + " the transition worker: see the log)", p.provenance());
                worker.wake(); // its retry now rather than after its back-off
                return null;
            }
            worker.wake(); // it stops retrying the forced transition now rather than after its back-off
            report("force", p.name(), "ok", p.provenance());
            return null;
        });
    }

    /**
     * Whether {@code p}'s transition still moves threads or is being ended: jlivepatch's own view, which the
     * closing callbacks, the late callbacks and the function lines go by. What the operator sees is
     * {@link #transitionShown}.
     */
    boolean inTransition(RegisteredPatch p) {
        return transitionPatch == p;
    }

    /**
     * Whether {@code p} is in transition as PatchHandle.inTransition, the MBean's Transition and status say it:
     * {@link #inTransition}, and then until its closing callbacks have returned and its "complete" line is
     * logged, as the kernel's {@code transition} file reads 1 until then. Without the lock: status answers
     * while a callback blocks. transitionPatch is read first (pairs with finish0's writes).
     */
    boolean transitionShown(RegisteredPatch p) {
        return transitionPatch == p || closingPatch == p;
    }

    /**
     * While the transition of {@code p} has ended on every thread and its closing callbacks run: the one
     * running, {@code postPatch of com.acme.Cache in class loader app (thread 'jlivepatch-transition' (id 31),
     * running for 3 s)}; else {@code null}. Without the lock, as status reads it.
     */
    public String closingCallback(PatchHandle p) {
        if (closingPatch != p || !(p instanceof RegisteredPatch)) {
            return null;
        }
        String running = ((RegisteredPatch) p).callbacks().runningNow();
        // Again after it: the closing may have ended meanwhile, and a callback running now be a late class's
        // prePatch of the same patch, no closing callback (closingPatch is cleared before klpMutex is let go).
        return closingPatch == p ? running : null;
    }

    /**
     * Status's closing fields of a patch, one closing's: the closing callback running ({@link #closingCallback}'s
     * text) and who asked for the operation that runs it ({@code pid 4242 user alice} for a command's call that the
     * transition ended inside, {@code jlivepatch (for ...)} for the worker's end; {@code null} in a closing for
     * which there was no memory to note it). Both {@code null} outside the patch's closing steps; {@code by} alone
     * in its steps where no callback runs.
     */
    public static final class Closing {
        static final Closing NONE = new Closing(null, null, null);

        private final String callback;
        private final String by;
        /** The asking connection's token (Requester.session), never shown: {@link #askedWith} only. */
        private final String token;

        Closing(String callback, String by, String token) {
            this.callback = callback;
            this.by = by;
            this.token = token;
        }

        public String callback() {
            return callback;
        }

        public String by() {
            return by;
        }

        /**
         * Whether a callback runs and the operation whose end runs it came over the command's connection whose
         * token is {@code token} (internal.control.SessionCalls): what only that command knows, where
         * {@link #by}'s pid is what a command states.
         */
        public boolean askedWith(String token) {
            return callback != null && this.token != null && token != null && java.security.MessageDigest.isEqual(
                    this.token.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    token.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /** Run by {@link #closing} between its reads and their check, on the reading thread; tests. */
    private static volatile Runnable closingReadForTests;

    /** Runs {@code seam} inside each status read of the closing fields, between its reads and their check; tests. */
    public static void atClosingReadForTests(Runnable seam) {
        closingReadForTests = seam;
    }

    /**
     * The closing fields of {@code p} as one snapshot, without the lock, as status reads them. Read on their own,
     * closingCallback and closingBy could be of two closings (the enable's postPatch with the disable's requester,
     * when one closing ended and the next began between the reads), and closingBy could name a requester before
     * closingPatch was set or after it was cleared. Here every read falls between two reads of {@link #closingSeq}
     * that agree: no closing began or ended meanwhile, or the whole read is made again (each time again means that
     * another closing began or ended, which takes a transition's end under klpMutex: no spin without progress).
     * Within one closing, closingPatch is set once and cleared once, inside closingBy's pair (finish0), so that
     * closingPatch read as {@code p} before and after the other reads makes the callback one of this closing's (as
     * {@link #closingCallback}) and the pair this closing's.
     */
    public Closing closing(PatchHandle p) {
        if (!(p instanceof RegisteredPatch)) {
            return Closing.NONE;
        }
        while (true) {
            long seq = closingSeq; // pairs with finish0's increments around the closing's writes
            if ((seq & 1) == 0) {
                return Closing.NONE; // between closings: closingPatch and closingBy are null (no reads to check)
            }
            RegisteredPatch c = closingPatch;
            Object[] by = closingBy;
            String running = c == p ? ((RegisteredPatch) p).callbacks().runningNow() : null;
            Runnable seam = closingReadForTests;
            if (seam != null) {
                seam.run();
            }
            if (closingPatch == c && closingSeq == seq) {
                boolean ours = by != null && by[0] == p;
                return c != p ? Closing.NONE
                        : new Closing(running, ours ? (String) by[1] : null, ours ? (String) by[2] : null);
            }
        }
    }

    /**
     * The forced patches unregistered since, oldest first: written under klpMutex (a copy per
     * change), read by status from any thread.
     */
    private volatile List<ForcedPatch> forcedGone = List.of();

    /**
     * Keeps a record of {@code p} if a transition of it was ever forced. Never throws: it comes after an
     * unregistration's commit, which a failure here (no memory for the record) must not turn into a
     * refusal; the audit log has the unregistration all the same. Caller holds klpMutex.
     */
    private void keepIfForced(RegisteredPatch p, String how) {
        if (!p.isForced()) {
            return;
        }
        try {
            keepForced(p, how);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            try {
                Log.get().log(System.Logger.Level.WARNING, "''{0}'' was forced and is unregistered; status cannot"
                        + " list it among the forced patches ({1}); the audit log has its unregistration", p.name(), e);
            } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
                // no memory for this line either: it must not throw (see above)
            }
        }
    }

    private void keepForced(RegisteredPatch p, String how) {
        Provenance from = p.provenance();
        List<ForcedPatch> next = new ArrayList<>(forcedGone);
        next.add(new ForcedPatch(p.name(), from == null ? "" : from.sha256(), from == null ? "" : from.source(),
                Instant.now(), how));
        if (next.size() > ForcedPatch.KEPT) {
            next.remove(0);
        }
        forcedGone = List.copyOf(next);
    }

    /**
     * For status: definitions of patched classes that passed jlivepatch's transformer with older
     * hooks than the current ones and are not seen loaded yet, followed until they are
     * (HookLedger.definitionsInFlight).
     */
    public List<String> definitionsInFlight() {
        return hooks.ledger().definitionsInFlight(hooks.table());
    }

    /** The forced patches unregistered since, oldest first (at most {@link ForcedPatch#KEPT}). */
    public List<ForcedPatch> forcedAndUnregistered() {
        return forcedGone;
    }

    /** Whether a transition of {@code p} was forced (it stays marked, as in the kernel). */
    public boolean isForced(PatchHandle p) {
        return p instanceof RegisteredPatch && ((RegisteredPatch) p).isForced();
    }

    /** Where {@code p} came from; {@code null} for a handle of another registry. */
    public Provenance provenance(PatchHandle p) {
        return p instanceof RegisteredPatch ? ((RegisteredPatch) p).provenance() : null;
    }

    /**
     * The JAR {@code p} was loaded from, whoever loaded it: what loads it again after a reconcile that
     * took it down failed. {@code null} for a patch built in code or a handle of another registry.
     */
    public PatchJarBytes loadedFrom(PatchHandle p) {
        return p instanceof RegisteredPatch ? ((RegisteredPatch) p).loadedFrom() : null;
    }

    /** The target classes of {@code p} that were loaded in no class loader when it was registered. */
    public List<String> pendingClasses(PatchHandle p) {
        return p instanceof RegisteredPatch ? ((RegisteredPatch) p).pendingClasses() : List.of();
    }

    /** The threads that hold the transition of {@code p}, or an empty list. */
    public List<String> waitingThreads(PatchHandle p) {
        Transition t = transition;
        return t != null && transitionPatch == p ? t.waiting() : List.of();
    }

    /**
     * Why the last attempt to end {@code p}'s transition failed (the worker tries again), or {@code null}:
     * a transition whose threads have all moved can still be running because of it, and status says so.
     */
    public String transitionEndFailure(PatchHandle p) {
        Transition t = transition;
        return t != null && transitionPatch == p ? t.endFailure() : null;
    }

    /** {@link #waitingThreads} with each thread's name, id and holding method apart. */
    public List<Transition.Waiter> waiters(PatchHandle p) {
        Transition t = transition;
        return t != null && transitionPatch == p ? t.waiters() : List.of();
    }

    boolean awaitTransition(RegisteredPatch p, Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        long start = System.nanoTime();
        // Bounded: an operation that holds the lock for good (a callback that never returns) must not
        // take the waiter (the watch, a command) with it. Untimed first: a free lock is taken whatever
        // the thread's interrupt status, as lock() did.
        requireStackFor("await the transition of", p.name());
        String held = PatchCallbacks.heldHere();
        if (held != null) {
            return awaitFromInitializer(p, held);
        }
        if (!klpMutex.tryLock() && !klpMutex.tryLock(nanos, TimeUnit.NANOSECONDS)) {
            return false;
        }
        try {
            nanos -= System.nanoTime() - start;
            if (closingHere(p)) {
                return false;
            }
            if (klpMutex.getHoldCount() > 1 && transitionPatch == p) {
                // A patch callback under the lock (the late callbacks of a class defined during p's
                // transition): the wait on transitionDone would let go of every hold of klpMutex, and the
                // transition would end, its closing callbacks run, while the callback's caller counts on
                // the lock (the class it prepares then never got its postPatch). The end needs the lock.
                Log.get().log(System.Logger.Level.WARNING, "''{0}'': awaitTransition called under"
                        + " jlivepatch''s lock (from a patch callback): the transition cannot complete before the"
                        + " callback returns; not waiting", p.name());
                return false;
            }
            while (transitionPatch == p) {
                if (nanos <= 0) {
                    return false;
                }
                // Asked for on a thread inside one of p's methods in the state before (a replacement
                // that disabled its own patch, say): the transition waits for this thread to leave
                // that method, which it cannot while it waits here, for all of its timeout. Checked
                // at each wake-up: a transition of p that began meanwhile may be held by it too.
                Transition t = transition; // set and cleared with transitionPatch, under klpMutex
                String[] self = t == null ? null : t.heldByCallerInside();
                if (self != null) {
                    // inside: the patch's code that asked, a replacement say, as status names it (Transition.Waiter)
                    // the caller as status names it (Transition.Waiter): an unnamed one by its kind and id
                    Log.get().log(System.Logger.Level.WARNING, "''{0}'': awaitTransition called by {1},"
                            + " which holds the transition itself (it runs {2} in the state before it{3}): the"
                            + " transition cannot end before that call returns; not waiting", p.name(),
                            Text.clean(Transition.Waiter.caller(Thread.currentThread())), self[0],
                            self[1].isEmpty() ? "" : ", inside " + self[1]);
                    return false;
                }
                nanos = transitionDone.awaitNanos(nanos);
            }
            return true;
        } finally {
            klpMutex.unlock();
        }
    }

    /**
     * {@link #awaitTransition} from a class's static initializer, or a shadow variable's ctor: answers
     * without waiting. A transition's end holds klpMutex while its closing callbacks run, and one that
     * uses the class this thread initializes (or asks for the variable it makes) waits for it; waiting
     * for klpMutex here, or on transitionDone (which takes klpMutex again before it returns, however
     * long it waited), would then never end (see PatchCallbacks.refuseInsideInitializer). True only when the lock is free at once (a closing
     * callback runs under it) and {@code p} is not in transition.
     */
    private boolean awaitFromInitializer(RegisteredPatch p, String held) {
        if (transitionPatch != p && klpMutex.tryLock()) {
            try {
                if (closingHere(p)) {
                    return false;
                }
                if (transitionPatch != p) {
                    return true;
                }
            } finally {
                klpMutex.unlock();
            }
        }
        Log.get().log(System.Logger.Level.WARNING, "''{0}'': awaitTransition called from {1}: the end of a"
                + " transition runs callbacks that may need {2}; not waiting", p.name(), held,
                held == PatchCallbacks.SHADOW_CTOR ? "that variable, which waits for this ctor"
                        : "that class, which waits for this initializer");
        return false;
    }

    /**
     * Whether the calling thread runs {@code p}'s closing callbacks ({@link PatchCallbacks#closing}, or the
     * postUnpatch calls that undo a refused enable, {@link PatchCallbacks#undoEnable}: one of them, its
     * postPatch say, awaits p's transition). The transition has ended (or the enable is being undone), but
     * awaitTransition's true says its closing callbacks have run, and this one, and those of the classes
     * after it, have not: false, with a WARNING, as from a callback during the transition. Likewise from its
     * opening callbacks (an enable's prePatch, a disable's preUnpatch, {@link PatchCallbacks#openingRuns}):
     * the transition they come before has not started. Caller holds klpMutex, as the callbacks' thread does
     * while it runs them: a thread that holds it then is that thread.
     */
    private boolean closingHere(RegisteredPatch p) {
        String closes = p.callbacks().closingRuns();
        if (closes == null) {
            String opens = p.callbacks().openingRuns();
            if (opens == null) {
                return false;
            }
            // Its enable's prePatch (or its disable's preUnpatch): no transition has started, and true
            // said "every thread runs the target state" of an enable that has not even begun one.
            Log.get().log(System.Logger.Level.WARNING, "''{0}'': awaitTransition called from one of its opening"
                    + " callbacks: {1}; not waiting", p.name(), opens);
            return true;
        }
        Log.get().log(System.Logger.Level.WARNING, "''{0}'': awaitTransition called from one of its closing"
                + " callbacks: {1}, but its closing callbacks have not all run before this one returns; not"
                + " waiting", p.name(), closes);
        return true;
    }

    void unregister(RegisteredPatch p) throws PatchException {
        locked("unregister", p, () -> {
            requireRegistered(p, "unregister");
            if (transitionPatch == p) {
                Transition t = transition;
                if (t != null && !t.targetPatched()) {
                    // disabled already: only the end of its unpatching transition is missing
                    throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "patch '" + p.name()
                            + "' is disabled but its unpatching transition is still running: unregister it once"
                            + " the transition has ended ('jlivepatch status' names the threads that hold it;"
                            + " 'jlivepatch force' ends it at once; in code, PatchHandle.awaitTransition and"
                            + " forceTransition)");
                }
                throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "patch '" + p.name()
                        + "' is in its patching transition: wait for it to end (or force it), disable it, then"
                        + " unregister it");
            }
            if (p.isEnabled()) {
                throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "patch '" + p.name()
                        + "' is enabled: disable it before unregistering it");
            }
            List<RegisteredPatch> next = without(stack, p);
            stack = next; // the commit
            p.setUnregistered();
            linkAudit.forget(p.auditLabel()); // never throws: what it audited for p, once written
            tookEffect("unregistered");
            keepIfForced(p, "unregistered");
            try {
                Log.get().log(System.Logger.Level.INFO, "''{0}'': unregistered", p.name());
            } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
                // No memory for the line: lost alone. Until 2026-12-07 it shared the try below, and its loss
                // skipped the detaching, the release and the audit record of an unregistration that took effect.
            }
            try {
                String detached = OrphanedShadows.detach(p);
                release(p);
                // With its file and content, as a replaced patch's (removeReplaced): no transition line
                // follows to name them, and the name may be loaded again with other content.
                report("unregister", p.name(), detached.isEmpty() ? "ok" : "ok (" + detached.substring(2) + ")",
                        p.provenance());
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                afterCommitFailed(e); // out of memory for a line's arguments: unregistered all the same
            }
            RegistryObserver o = observer;
            if (o != null) {
                Refusals.unregistered(o, p);
            }
            return null;
        });
    }

    private void requireRegistered(RegisteredPatch p, String operation) throws PatchException {
        if (!p.isRegistered()) {
            throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "cannot " + operation + " patch '" + p.name()
                    + "': it is not registered (it was unregistered); register it again first");
        }
    }

    /** The functions of the enabled patches of {@code order}, with {@code p} counted as enabled or not. */
    private static List<List<ActiveFunction>> enabledFunctions(List<RegisteredPatch> order, RegisteredPatch p,
                                                               boolean pEnabled) {
        List<List<ActiveFunction>> enabled = new ArrayList<>();
        for (RegisteredPatch q : order) {
            if (q == p ? pEnabled : q.isEnabled()) {
                enabled.add(q.activeFunctions());
            }
        }
        return enabled;
    }

    /**
     * Moves the hooks to {@code next}; on failure they are as before. {@link HookManager#apply}
     * rolls back a refused retransformation itself; for what it does not foresee (memory) the
     * previous table is put back here.
     */
    private void switchTo(RegisteredPatch p, LinkTable next, LoadedClasses loaded) throws PatchException {
        LinkTable before = hooks.table();
        try {
            hooks.apply(next, loaded);
        } catch (HookFailure e) {
            // What the undo left undone (a record, a site), done now: the refusal says nothing was changed.
            Suppressed.add(e, hooks.finishUndo());
            throw new PatchException(Reason.TRANSFORM_FAILED, p.name(), "patch '" + p.name() + "': "
                    + e.getMessage() + "; nothing was changed", e);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            if (hooks.table() != before) {
                try {
                    hooks.apply(before); // does what the failed undo left undone first (finishUndo)
                } catch (HookFailure | RuntimeException | LinkageError | VirtualMachineError again) {
                    Suppressed.add(e, again); // e may be the JVM's one shared OutOfMemoryError, and again that one
                }
            } else {
                // The undo put the table back, and may have left a record or a site undone, which a change
                // of these classes alone would otherwise redo (there is nothing to apply again here).
                Suppressed.add(e, hooks.finishUndo());
            }
            throw e;
        }
    }

    /**
     * Before this thread's operation changes the hooks to put a patch in: a class defined from then on gets
     * them, and the link-audit thread's record of that ({@code link P by jlivepatch: ok (... hooked as it was
     * defined)}, a failure there) must come after the operation's line, not before the change it follows (a
     * class defined by another thread, or by the enable's own postPatch, while the enable has not made its
     * line). Held in the ledger until {@link #locked} has made the operation's lines
     * ({@link io.jlivepatch.internal.patch.HookLedger#releaseHold}). Not for a disable, whose hooks keep the
     * patch for its transition: a class defined meanwhile got them while the patch was on, before the
     * disable's line, and after it (after its transition's end) it would read as the patch put in once it was
     * off. Not outside an operation (the transition worker's end): its line comes at once. Caller holds
     * klpMutex.
     */
    private void holdLinkRecords() {
        Operation op = here();
        if (op != null) {
            String by;
            try {
                by = "'" + op.name + " " + op.subject + " by " + op.requester + "'"; // as its line will read
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                by = null; // no memory for the words: a record of events dropped meanwhile names no operation
            }
            hooks.ledger().holdFromNow(by);
        }
    }

    /** Logs and audits a refusal; returns it for throwing. */
    PatchException refused(String operation, String subject, PatchException e) {
        return refused(operation, subject, e, null);
    }

    /** {@link #refused(String, String, PatchException)} of a JAR whose content is known. */
    private PatchException refused(String operation, String subject, PatchException e, Provenance jar) {
        RegisteredPatch held = null;
        // The held load's own refusal only: the lock guards retryHeld, and an operation that a callback of that
        // load asked for (refused: PatchCallbacks.refuseInside) is refused on the same thread, under the same
        // lock, while the load goes on. Until 2026-12-07 such a refusal took the lines and logged the
        // registration undone, and the load then committed without them.
        if (klpMutex.isHeldByCurrentThread() && retryHeld != null && !PatchCallbacks.runsHere()
                && retryHeld.name().equals(subject)) {
            held = retryHeld;
            retryHeld = null;
        }
        boolean repeats = repeatsAWait(subject, e, jar);
        if (held != null && !stack.contains(held)) { // in the stack: committed, its lines logged there
            // a load retried (see retryHeld): at INFO unless refused again as before, then as the refusal's line
            logHeld(held, retryHeldOrder, repeats ? System.Logger.Level.DEBUG : System.Logger.Level.INFO, true);
        }
        if (repeats) {
            try {
                Log.get().log(System.Logger.Level.DEBUG, "{0} refused again, still waiting for a class loader that"
                        + " can load its classes ({1}): {2}", operation, e.reason(), e.getMessage());
            } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
                // no memory for the line: the refusal is what the caller must get
            }
            return e;
        }
        Refusals.log(operation, e);
        report(operation, subject, "refused " + e.reason() + ": " + e.getMessage(), jar);
        return e;
    }

    /** What is known of a JAR refused before it was prepared, its signature checked. */
    private static Provenance signed(PatchJarBytes bytes, Signature signature) {
        return new Provenance(bytes.source(), bytes.sha256(), signature.recorded(), Map.of(), Instant.now(),
                Requester.current());
    }

    /** What is known of a JAR that was refused before it was a patch. */
    private static Provenance of(PatchJarBytes bytes) {
        return new Provenance(bytes.source(), bytes.sha256(), "", Map.of(), Instant.now(), Requester.current());
    }

    /** How many JARs {@link #waitsReported} remembers: more than any patch directory holds. */
    private static final int WAITS_REMEMBERED = 256;

    /**
     * The last refusal of each JAR (by SHA-256, or path) that waits for its class loader, retried by
     * a channel of jlivepatch's own (start-up patches, a watched directory): the same refusal again
     * is only a DEBUG line, not another WARNING and audit entry (a Spring Boot start made 33 of
     * them). A refusal of anyone else's request is always reported. Guarded by itself (refusals of
     * a load's preparation happen outside klpMutex); emptied when full (a plain map: a subclass
     * that drops the eldest would be a class more in every JVM).
     */
    private final Map<String, String> waitsReported = new HashMap<>();

    /** The key of {@link #waitsReported}: the JAR's SHA-256, else the subject (a path). */
    private static String waitKey(String subject, Provenance jar) {
        return jar != null && !jar.sha256().isEmpty() ? jar.sha256() : String.valueOf(subject);
    }

    /** Whether {@code e} repeats the wait already reported for this JAR to the channel retrying it; records it. */
    private boolean repeatsAWait(String subject, PatchException e, Provenance jar) {
        String who = Requester.current();
        if (!Requester.isOwnChannel(who)) {
            return false;
        }
        String key = waitKey(subject, jar);
        if (!PatchJarLoader.waitsForItsLoader(e)) {
            synchronized (waitsReported) {
                waitsReported.remove(key); // refused for another reason: a wait after it is news again
            }
            return false;
        }
        String why = e.reason() + ": " + e.getMessage() + " (" + e.getCause() + ")";
        synchronized (waitsReported) {
            if (waitsReported.size() >= WAITS_REMEMBERED && !waitsReported.containsKey(key)) {
                waitsReported.clear();
            }
            return why.equals(waitsReported.put(key, why));
        }
    }

    /**
     * Whether klpMutex is held now, by any thread: a volatile read, no mark needed (java.util.concurrent,
     * which no patch can hook), for the audit thread's look before it marks itself.
     */
    boolean lockTaken() {
        return klpMutex.isLocked();
    }

    /**
     * The module openings not audited yet, when no operation runs (one that does audits those it
     * made with its own line); none otherwise. For the link-failure audit's thread.
     */
    java.util.List<String> openingsIfIdle() {
        if (!klpMutex.tryLock()) {
            return List.of();
        }
        try {
            return io.jlivepatch.internal.ModuleOpenings.takeUnaudited();
        } finally {
            klpMutex.unlock();
        }
    }

    /** Logs and audits a refusal that happened outside the registry (the JMX layer's own checks). */
    public PatchException refusedOutside(String operation, String subject, PatchException e) {
        return refused(operation, subject, e);
    }

    /** {@link #refusedOutside(String, String, PatchException)} of content received: on record with its file and SHA-256. */
    public PatchException refusedOutside(String operation, PatchJarBytes jar, PatchException e) {
        return refused(operation, jar.source(), e, of(jar));
    }

    private void report(String operation, String subject, String outcome) {
        report(operation, subject, outcome, null);
    }

    /**
     * Audits a callback's failure that stopped nothing ({@link PatchCallbacks}), deferred as {@link #finish}
     * defers. The module openings of the operation it runs in stay for that operation's own line.
     *
     * @param late the class defined later whose first call ran the callback ({@link LateCallbacks}), or null:
     *             on record as jlivepatch's, as a link failure of such a class is ({@link LinkFailureAudit}),
     *             not as the requester of the thread that happened to make the call (an application's
     *             thread would read {@code by api}, an API call it never made); after the line of the hooks
     *             that class got as it was defined, as the line of callbacks that ran there
     *             (LinkFailureAudit.afterHooks)
     * @param label the audit label of the patch's registration, for {@code late}
     */
    void callbackFailed(String patch, String outcome, Class<?> late, Object label) {
        if (late == null && deferred("callback", patch, outcome, null)) {
            return;
        }
        try {
            if (late != null) {
                linkAudit.afterHooks(late, label, "callback", patch, outcome, null);
            } else {
                audit.record("callback", patch, outcome, Requester.current(), null);
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // the failure stands, and is logged, even when its audit entry finds no memory
        }
    }

    /** Keeps a record for the end of this thread's operation when {@link #finish} defers; whether it did. */
    private boolean deferred(String operation, String subject, String outcome, Provenance provenance) {
        if (deferring == Thread.currentThread()) {
            Operation op = here();
            return op != null && op.keep(new Object[] {operation, subject, outcome, provenance, Requester.current()});
        }
        return false;
    }

    /**
     * Audits a step of a channel's own that is not one of the life cycle's operations (a reconcile of
     * the watched directory), with the current requester, as the operations are.
     */
    public void audit(String operation, String subject, String outcome) {
        report(operation, subject, outcome, null);
    }

    /**
     * Audits an operation's outcome.
     *
     * @param provenance the patch's, or what is known of a refused JAR; {@code null} for neither
     */
    private void report(String operation, String subject, String outcome, Provenance provenance) {
        try {
            // Inside the try: the deferral allocates too, and a report follows many commits.
            if (deferred(operation, subject, outcome, provenance)) {
                return;
            }
            // An operation that opened a module (ModuleOpenings) has it on record before its own line.
            for (String opening : io.jlivepatch.internal.ModuleOpenings.takeUnaudited()) {
                audit.record("open", opening, "ok (noted with " + operation + " of " + subject + ")",
                        Requester.current(), null);
            }
            audit.record(operation, subject, outcome, Requester.current(), provenance);
            // An operation's own line is made under klpMutex (its refusal before the lock comes before it
            // is under way); the thread-local is asked only then, as before this, by a thread that runs marked.
            Operation op = klpMutex.isHeldByCurrentThread() ? here() : null;
            if (op != null && op.isOwnLine(operation, subject)) {
                op.ownLineMade(); // the JVM's exit from now on needs no line of its own for it
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // a refusal or an outcome stands even when its audit entry finds no memory
        }
    }

    /**
     * The name of the nearest enabled patch above {@code p} whose version of {@code f}'s method runs in
     * {@code c}'s loader without calling the version below it ({@code @Next}): while it is there,
     * {@code p}'s version of the method never runs there, though it is hooked and enabled. {@code null}
     * when none is, or when one above is in transition (some threads then still run the versions below).
     */
    private String coveredBy(RegisteredPatch p, ResolvedFunction f, Class<?> c) {
        List<RegisteredPatch> st = stack;
        for (int i = st.indexOf(p) + 1; i > 0 && i < st.size(); i++) {
            RegisteredPatch u = st.get(i);
            if (!u.isEnabled() && !inTransition(u)) {
                continue;
            }
            for (int k = 0; k < u.resolved().size(); k++) {
                ResolvedFunction g = u.resolved().get(k);
                if (!g.replacement().className().equals(f.replacement().className())
                        || !g.spec().key().equals(f.spec().key())) {
                    continue;
                }
                if (inTransition(u)) {
                    return null;
                }
                if (hooks.ledger().linkFailure(c.getClassLoader(), c.getName(), g.spec().key(), u.name()) != null
                        || u.callbacks().failure(c) != null || misfit(g, c) != null || initFailure(g, c) != null) {
                    break; // its version is left out here: the one below it runs
                }
                if (!u.activeFunctions().get(k).next()) {
                    return u.name();
                }
            }
        }
        return null;
    }

    /** Why {@code f}'s patch class for {@code c}'s loader failed to initialize, once it has; else {@code null}. */
    private static String initFailure(ResolvedFunction f, Class<?> c) {
        try {
            io.jlivepatch.internal.patch.ClassInit init = f.source().initialization(c.getClassLoader());
            return init == null ? null : init.failedWith();
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return null; // misfit, asked first, names what does not link
        }
    }

    /** Why {@code f}'s replacement does not fit class {@code c} of some loader, or {@code null}. */
    private static String misfit(ResolvedFunction f, Class<?> c) {
        Method target = Reflection.findDeclared(c, f.spec().name(), f.spec().descriptor());
        if (target == null) {
            return "the class does not declare the method";
        }
        try {
            return SignatureCheck.misfit(c, target, f.source().handleFor(c.getClassLoader()).type());
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return "the replacement cannot be linked in this class loader: " + e;
        }
    }

    List<FunctionStatus> functions(RegisteredPatch p) {
        int mark = RecursionGuard.enter(); // jlivepatch's code on the caller's thread
        try {
            return functions0(p);
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    private List<FunctionStatus> functions0(RegisteredPatch p) {
        Set<String> names = new HashSet<>();
        p.resolved().forEach(f -> names.add(f.replacement().className()));
        Map<String, List<Class<?>>> loaded = LoadedClasses.named(hooks.instrumentation(), names);
        boolean enabled = p.isEnabled();
        boolean unpatching = !enabled && inTransition(p);
        boolean patching = enabled && inTransition(p);
        List<FunctionStatus> out = new ArrayList<>();
        for (ResolvedFunction f : p.resolved()) {
            Patch.Replacement r = f.replacement();
            List<FunctionStatus.LoaderStatus> loaders = new ArrayList<>();
            for (Class<?> c : loaded.getOrDefault(r.className(), List.of())) {
                loaders.add(loaderStatus(p, f, c, enabled, patching, unpatching));
            }
            out.add(new FunctionStatus(r.className(), r.methodName(), r.descriptor(), loaders));
        }
        return out;
    }

    /**
     * {@code f}'s state in {@code c}'s loader; when reading it fails (the JDK's method handles or a
     * patch's own code throwing where status asks them: an {@code InternalError}, a stack overflow),
     * {@code FAILED} with why, so that one function that cannot be read never hides the others,
     * nor the other patches, from the operator who needs them to take the patch off.
     */
    private FunctionStatus.LoaderStatus loaderStatus(RegisteredPatch p, ResolvedFunction f, Class<?> c,
            boolean enabled, boolean patching, boolean unpatching) {
        try {
            return loaderStatus0(p, f, c, enabled, patching, unpatching);
        } catch (Throwable e) { // a read: whatever it was, what runs is unchanged and the next read tries again
            String loader;
            try {
                loader = LoaderNames.of(c.getClassLoader());
            } catch (Throwable again) {
                loader = LoaderNames.UNREADABLE;
            }
            return new FunctionStatus.LoaderStatus(loader, FunctionStatus.State.FAILED,
                    "status could not be read: " + Text.of(e) + " (reading it changed nothing; the next read tries"
                            + " again)");
        }
    }

    private FunctionStatus.LoaderStatus loaderStatus0(RegisteredPatch p, ResolvedFunction f, Class<?> c,
            boolean enabled, boolean patching, boolean unpatching) {
        ClassHooks h = hooks.ledger().get(c.getClassLoader(), c.getName());
        String failure = h.failures().get(f.spec().key()); // the hook's: every patch's
        if (failure == null) {
            failure = hooks.ledger().linkFailure(c.getClassLoader(), c.getName(), f.spec().key(), p.name());
        }
        if (failure == null && enabled) {
            failure = p.callbacks().failure(c); // its prePatch refused this class
        }
        FunctionStatus.State state;
        String detail = "";
        if (failure == null && enabled && h.hooked().contains(f.spec().key())) {
            // The linker checks a class defined after registration only when its method
            // first runs; status must not wait for that.
            failure = misfit(f, c);
        }
        if (failure == null && enabled && h.hooked().contains(f.spec().key())) {
            // A patch class whose initializer failed before (a patch enabled again) sends every
            // call to the version below from its first one: status says so before that call.
            failure = initFailure(f, c);
        }
        if (failure != null) {
            state = FunctionStatus.State.FAILED;
            detail = failure;
        } else if (enabled && h.hooked().contains(f.spec().key())) {
            state = FunctionStatus.State.PATCHED;
            String foreign = hooks.foreignCode(c, f.spec());
            detail = foreign == null ? "" : foreign;
            String over = patching ? null : coveredBy(p, f, c);
            if (over != null) {
                String covered = "patch '" + over + "' above it replaces the method without calling the"
                        + " version below (@Next): its version runs, not this one";
                detail = detail.isEmpty() ? covered : covered + "; " + detail;
            }
            if (patching) {
                // as the unpatching detail below: a thread the transition has not moved yet
                // (inside one of the patch's methods) does not run the replacement yet
                String moving = "patching: the threads the transition has not moved yet still run the"
                        + " version below";
                detail = detail.isEmpty() ? moving : detail + "; " + moving;
            }
            // A class defined later whose first calls could not wait for its callbacks (LateCallbacks):
            // the log said so once; until a call runs them, its calls run its own code, not this version.
            String waiting = p.callbacks().deferral(c);
            if (waiting != null) {
                detail = detail.isEmpty() ? waiting : waiting + "; " + detail;
            }
        } else if (unpatching && h.hooked().contains(f.spec().key())) {
            // disabled, but threads the transition has not moved yet still run the replacement
            state = FunctionStatus.State.PATCHED;
            detail = "unpatching: still runs for the threads the transition has not moved yet";
        } else {
            state = FunctionStatus.State.NOT_PATCHED;
        }
        return new FunctionStatus.LoaderStatus(LoaderNames.of(c.getClassLoader()), state, detail);
    }
}
