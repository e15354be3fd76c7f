package io.jlivepatch.internal.core;

import io.jlivepatch.Callbacks;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.patch.LoadedClasses;
import io.jlivepatch.internal.patch.LoaderNames;
import io.jlivepatch.internal.patch.RecursionGuard;

import java.lang.instrument.Instrumentation;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The callbacks of one patch at run time (the kernel's per-object {@code callbacks} and their
 * {@code post_unpatch_enabled}): which classes have had their {@code prePatch}, which refused it,
 * and the last failure, for status. The life cycle:
 *
 * <pre>
 * enable      prePatch  every loaded class, description order   a throw: postUnpatch for the prepared, refused
 * transition  (a class defined meanwhile: prePatch at its first call, see LateCallbacks)
 * end         postPatch every prepared class  (patched)        postUnpatch every prepared class (unpatched)
 * disable     preUnpatch every prepared class
 * </pre>
 *
 * <p>Every method that runs a callback is called under {@code PatchRegistry.klpMutex}, which
 * serializes them with the life cycle; the readers of the linker ({@link #pending}, {@link #failure})
 * skip it and synchronize on this object instead, which the writers hold only to update the
 * bookkeeping, never while a callback runs.
 *
 * <p>A callback runs with the thread marked by {@link RecursionGuard}: every hooked method it calls
 * runs its original code, so that it never runs a replacement on jlivepatch's behalf, nor reaches a
 * gate of its own class again. It must not start a life-cycle operation ({@link #refuseInside}).
 * Every {@code Throwable} a callback throws is its failure, {@code StackOverflowError} and
 * {@code OutOfMemoryError} included: it is the application's code failing, not jlivepatch. One that
 * jlivepatch's set-up of a callback throws before calling it refuses an enable at a prePatch, as any
 * lack of memory does (a class defined later stays unprepared, its calls unpatched, until a later call);
 * at the other three it is on record as that callback's failure, which stops nothing: every class's
 * closing callback runs, and the transition ends, as the kernel's do.
 */
final class PatchCallbacks {

    /** Marks a thread that runs a callback (see {@link #refuseInside}); set and cleared around each one. */
    private static final ThreadLocal<String> RUNNING = new ThreadLocal<>();

    /** The four callbacks, by the names the log, the audit log and status use. */
    enum Kind {
        PRE_PATCH("prePatch"), POST_PATCH("postPatch"), PRE_UNPATCH("preUnpatch"), POST_UNPATCH("postUnpatch");

        final String label;
        /**
         * What status and the audit say of a failure of this kind that there was no memory to describe (made
         * with the class: nothing to allocate when it is needed).
         */
        final String undescribed;
        /** What they say when there was no memory to list the classes to run it for ({@link #closingClasses}). */
        final String unlisted;

        Kind(String label) {
            this.label = label;
            this.undescribed = label + " of a class of the patch failed or could not run; no memory was left to say"
                    + " which, nor why (see the log)";
            this.unlisted = label + " of the patch's classes could not run: jlivepatch found no memory to list them"
                    + " (see the log)";
        }
    }

    private final String patchName;
    private final Map<String, Callbacks> byClass;
    private final PatchRegistry registry;

    // Guarded by this. Prepared classes in the order their prePatch ran, weakly: a class whose loader
    // is collected needs no more callbacks. Refused classes, with why, as FAILED in functions().
    private final List<WeakReference<Class<?>>> prepared = new ArrayList<>();
    private final Map<Class<?>, String> refused = new WeakHashMap<>();
    /**
     * From the start of an enable's prePatch to the end of the closing postUnpatch: while armed, a
     * class of a callback name that has not had its prePatch gets it at its first call. Written under
     * klpMutex; volatile for the linker (pairs with the read in {@link #pending}).
     */
    private volatile boolean armed;
    private volatile String lastFailure;
    /**
     * How many callbacks failed so far, counted where {@link #lastFailure} is written: a command compares
     * it before and after its change to tell the operator of a failure of that change, even one whose text
     * is the last one's again. Incremented under klpMutex, as lastFailure is written; read by status
     * without it.
     */
    private final java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();
    /**
     * While closing callbacks run: those of a transition that has ended ({@link #closing}), or the
     * postUnpatch calls that undo a refused enable ({@link #postUnpatchAll} from prePatchAll or the
     * enable's failure): what they close, for the WARNING of an awaitTransition from one of them, else
     * {@code null}. Guarded by klpMutex, which their caller holds throughout: a reader that holds it too
     * while this is set is the thread running them (PatchRegistry.closingHere).
     */
    private String closingRuns;
    /**
     * While an enable's prePatch or a disable's preUnpatch calls run: what they open, for the WARNING of
     * an awaitTransition from one of them, else {@code null}. The transition they come before has not
     * started, so the patch is in none, and awaitTransition answered true at once: from a prePatch,
     * "every thread runs the patched code" of a patch not even enabled. Guarded by klpMutex, as
     * {@link #closingRuns} (PatchRegistry.closingHere reads both).
     */
    private String openingRuns;
    /**
     * The callback of this patch that runs now, {label (String), class (Class), thread (Thread), since (Long,
     * System.nanoTime's)}, replaced whole, or {@code null}: what status and a command's "transition still
     * running" name while a transition's end waits for its closing callbacks (PatchRegistry.closingCallback).
     * Written by the thread that runs them, under klpMutex; volatile for status, which reads it without the lock
     * (a callback that never returns keeps the lock, and status must still answer). An array, not a record: no
     * class more for a JVM's first load (FootprintIT).
     */
    private volatile Object[] runningNow;
    /**
     * Guarded by this; made at the first. Classes whose calls ran their own code because their prePatch
     * could not run then (LateCallbacks.deferred), weakly: from where, since when. Forgotten with the
     * prepared classes ({@link #reset}), so that status never shows one of an earlier enable.
     */
    private Map<Class<?>, Deferral> deferred;
    /**
     * Guarded by this; made at the first. Classes defined later whose prePatch could not be set up
     * ({@link #setUpFailedLate}), weakly: on record once each, not at every call that fails the same way again (a
     * call deep in a recursion that overflows there each time), which would crowd the audit log's other records
     * out. Forgotten with the prepared classes ({@link #reset}).
     */
    private Map<Class<?>, Boolean> notSetUp;

    /** A class's call sent to its own code without its callbacks: from where, since when (System.nanoTime). */
    private record Deferral(String held, long since) {
    }

    PatchCallbacks(String patchName, Map<String, Callbacks> byClass, PatchRegistry registry) {
        this.patchName = patchName;
        this.byClass = byClass;
        this.registry = registry;
    }

    boolean isEmpty() {
        return byClass.isEmpty();
    }

    /** The last callback failure, {@code "postPatch of com.acme.Cache in app: ..."}, or {@code null}. */
    String lastFailure() {
        return lastFailure;
    }

    /** How many of the patch's callbacks have failed since it was registered. */
    long failureCount() {
        return failures.get();
    }

    /** Whether a callback runs on this thread now: an operation asked for here is nested in the one running it. */
    static boolean runsHere() {
        return RUNNING.get() != null;
    }

    /**
     * Refuses a life-cycle operation asked for by a callback: it would run inside the operation that
     * runs the callback, under the same lock.
     */
    static void refuseInside(String operation, String patchName) throws PatchException {
        String running = RUNNING.get();
        if (running != null) {
            throw new PatchException(Reason.ILLEGAL_STATE, patchName, "cannot " + operation + " patch '" + patchName
                    + "' from a callback (" + running + "): callbacks run inside a life-cycle operation; start"
                    + " the operation from another thread, after the callback has returned");
        }
    }

    /**
     * What {@link #heldHere} says of a thread that runs a shadow variable's ctor, which every other
     * thread that asks for the variable waits for (ShadowStore.attach).
     */
    static final String SHADOW_CTOR = "the ctor of a shadow variable (Shadow.getOrAttach or attach)";

    /**
     * Refuses a life-cycle operation asked for from a class's static initializer (a patch class's, run
     * by the first call of one of its replacements, or any other class's), before it waits for
     * klpMutex: the thread holds that class's initialization lock, and a callback running under
     * klpMutex on another thread (a transition's postPatch, the callbacks of a class defined later)
     * that touches the class waits for it, while the operation would wait for klpMutex: both for
     * ever, the patch stuck and every command BUSY. The same from a shadow variable's ctor, which a
     * callback that asks for that variable waits for (ShadowCtorLockTest). Refused whether or not a
     * callback runs now, so that whether the operation works never depends on timing.
     */
    static void refuseInsideInitializer(String operation, String patchName) throws PatchException {
        String held = heldHere();
        if (held != null) {
            throw new PatchException(Reason.ILLEGAL_STATE, patchName, "cannot " + operation
                    + (patchName == null ? "" : " patch '" + patchName + "'") + " from " + held + ": "
                    + (held == SHADOW_CTOR
                    ? "other threads that ask for that variable wait for this ctor, and a patch callback running"
                    + " under jlivepatch's lock that asks for it would wait for it while this waited for that lock,"
                    + " both for ever; ask for it after the ctor has returned (from another thread, or from the code"
                    + " that called Shadow)"
                    : "the thread holds that class's initialization lock, and a patch callback running under"
                    + " jlivepatch's lock that uses the class would wait for it while this waited for that lock, both"
                    + " for ever; ask for it after the class is initialized (from another thread, or from code that"
                    + " runs once the initializer has returned)"));
        }
    }

    /**
     * What the calling thread holds that a patch callback under klpMutex may wait for, the innermost:
     * {@code "the static initializer of C"} (C's initialization lock), {@link #SHADOW_CTOR} (the
     * variable it makes), or {@code null}. A walk of the thread's stack, once per operation; marked, as
     * every walk of jlivepatch's on an application thread (RecursionGuard), so that the hooks it meets
     * run the original methods. Through the stack trace, which names the frames' methods, rather than
     * a StackWalker with a function: no class more for a first load (FootprintIT).
     */
    static String heldHere() {
        int mark = RecursionGuard.enter();
        try {
            for (StackTraceElement e : new Throwable().getStackTrace()) {
                if ("<clinit>".equals(e.getMethodName())) {
                    return "the static initializer of " + e.getClassName();
                }
                // By name: the store's class is the boot loader's copy, or one an application loaded
                // before jlivepatch was installed; either runs the ctor in construct.
                if ("construct".equals(e.getMethodName())
                        && "io.jlivepatch.internal.bootstrap.ShadowStore".equals(e.getClassName())) {
                    return SHADOW_CTOR;
                }
            }
            return null;
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /**
     * The enable's {@code prePatch}, for every loaded class of each named class in description order.
     * If one throws, the classes already prepared get {@code postUnpatch} and the enable is refused
     * with {@code CALLBACK_FAILED}; nothing else is changed. Caller holds klpMutex.
     */
    void prePatchAll(Instrumentation inst) throws PatchException {
        if (byClass.isEmpty()) {
            return;
        }
        reset();
        armed = true; // classes defined from here on get a gate (see LateCallbacks)
        Map<String, List<Class<?>>> loaded = LoadedClasses.named(inst, byClass.keySet());
        openingRuns = "its enable has not started its transition yet (the call came from its prePatch)";
        try {
            for (Map.Entry<String, Callbacks> e : byClass.entrySet()) {
                for (Class<?> c : loaded.getOrDefault(e.getKey(), List.of())) {
                    Throwable t = run(Kind.PRE_PATCH, e.getValue(), c);
                    if (t != null) {
                        int undone = undoEnable();
                        String what = describe(Kind.PRE_PATCH, c, t);
                        lastFailure = what; // raw: status escapes it with the rest
                        failures.incrementAndGet();
                        // The callback's own words (its exception's message, a class name it failed to find) may
                        // hold line breaks: escaped, the refusal stays one line for the API's caller and its log.
                        throw new PatchException(Reason.CALLBACK_FAILED, patchName, "patch '" + patchName + "': "
                                + Text.clean(what) + "; the enable was refused and nothing was changed (postUnpatch ran"
                                + " for the " + undone + " class(es) prepared before it): fix what the callback needs,"
                                + " then enable again", t);
                    }
                    synchronized (this) {
                        prepared.add(new WeakReference<>(c));
                    }
                }
            }
        } finally {
            openingRuns = null;
        }
    }

    /** The {@code postPatch} of every prepared class: a transition to patched has completed. Caller holds klpMutex. */
    void postPatchAll() {
        for (Class<?> c : closingClasses(Kind.POST_PATCH)) {
            runStoppingNothing(Kind.POST_PATCH, c, null, null);
        }
    }

    /**
     * The disable's {@code preUnpatch}, for every prepared class; none stops it, as the kernel's {@code pre_unpatch}
     * (void) cannot: one that fails, or cannot be set up, is on record and the disable goes on. Caller holds klpMutex.
     */
    void preUnpatchAll() {
        openingRuns = "its disable has not started its transition yet (the call came from its preUnpatch)";
        try {
            for (Class<?> c : preparedClasses()) {
                runStoppingNothing(Kind.PRE_UNPATCH, c, null, null);
            }
        } finally {
            openingRuns = null;
        }
    }

    /**
     * The {@code postUnpatch} of every prepared class, then forgets them: an enable was refused, or
     * failed after its prePatch (PatchRegistry.enableIn). Closing callbacks like a transition's: an
     * awaitTransition from one answers false until they have all run (PatchRegistry.closingHere), where
     * before it answered true at once (no transition was running), the enable not undone yet. Returns
     * how many ran. Caller holds klpMutex.
     */
    int undoEnable() {
        String before = closingRuns;
        closingRuns = "its enable was refused";
        try {
            return postUnpatchAll();
        } finally {
            closingRuns = before;
        }
    }

    /**
     * The {@code postUnpatch} of every prepared class, then forgets them: a transition to unpatched
     * has completed ({@link #closing}), or an enable was refused ({@link #undoEnable}). Returns how
     * many ran. Caller holds klpMutex.
     */
    private int postUnpatchAll() {
        try {
            List<Class<?>> classes = closingClasses(Kind.POST_UNPATCH);
            for (Class<?> c : classes) {
                runStoppingNothing(Kind.POST_UNPATCH, c, null, null);
            }
            return classes.size();
        } finally {
            // Whatever the list's making threw: a patch left armed would prepare a class defined later (its
            // prePatch, its postPatch) for a patch that is disabled or was never enabled.
            armed = false;
            reset();
        }
    }

    /**
     * A class defined while the patch is enabled or in transition, at its first call: its
     * {@code prePatch}, then, unless a transition is in progress (whose end runs it), its
     * {@code postPatch}. A throwing {@code prePatch} leaves the class without the patch's versions (the linker runs
     * what is below them); one that cannot be set up leaves it pending, for a later call ({@link #setUpFailedLate}).
     * Returns whether its prePatch ran and passed: the class is prepared. Caller holds klpMutex.
     * {@code auditLabel}: the registration's (RegisteredPatch.auditLabel), whose line of the class's hooks a
     * failure's line follows (PatchRegistry.callbackFailed).
     */
    boolean prepareLate(Class<?> c, boolean inTransition, Object auditLabel) {
        Callbacks cb = byClass.get(c.getName());
        if (cb == null || !armed || hasRun(c)) {
            return false;
        }
        Throwable t;
        try {
            t = run(Kind.PRE_PATCH, cb, c);
        } catch (Throwable setUp) { // jlivepatch's own, before the callback: it did not run
            setUpFailedLate(c, setUp, auditLabel);
            return false;
        }
        if (t != null) {
            // Its text made before this monitor is taken: the exception's toString is the patch's code, and
            // may wait for a class whose initializer's first call of another class of this patch asks the
            // monitor (pending, at the link): both waited for ever, klpMutex held (RefusalTextLockTest).
            // Text.of: whatever the toString throws, an Error of the patch's own included, which went into
            // the application's call of the class, the class not refused (CallbacksTest's unprintable case).
            String threw;
            try {
                threw = "prePatch threw " + Text.of(t);
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                threw = "prePatch threw " + t.getClass().getName();
            }
            synchronized (this) {
                refused.put(c, threw); // first: the class is refused whatever describing it does
            }
            String what;
            try {
                what = describe(Kind.PRE_PATCH, c, t);
            } catch (RuntimeException | LinkageError e) {
                what = Kind.PRE_PATCH.label + " of " + c.getName() + " threw " + Text.of(t);
            }
            failed(what, t, c, auditLabel);
            return false;
        }
        synchronized (this) {
            // the classes of loaders gone go from the list: a webapp redeployed while the patch is
            // enabled left one cleared reference each for the patch's life
            for (java.util.Iterator<WeakReference<Class<?>>> i = prepared.iterator(); i.hasNext(); ) {
                if (i.next().get() == null) {
                    i.remove();
                }
            }
            prepared.add(new WeakReference<>(c));
        }
        registry.latePrepared(); // the class is prepared: what an exit in its postPatch says
        if (!inTransition) {
            runStoppingNothing(Kind.POST_PATCH, c, c, auditLabel);
        }
        return true;
    }

    /**
     * A class defined later whose prePatch could not be set up ({@link #run}'s own failure, out of memory or stack,
     * before the callback): the prePatch did not run, so the class is neither prepared nor refused. It stays pending:
     * its calls pass over the patch's versions (none runs before its callbacks, ReplacementLinker.passPatchCallbacks)
     * and a later call runs its callbacks again. On record as that callback's failure, as jlivepatch's (WARNING,
     * status, the audit's {@code callback} line after the class's hooks line). Until 2026-12-07 the Error went out to
     * LateCallbacks' catch: an ERROR line only, the class's calls unpatched with nothing in status or the audit log,
     * and the other patches' late callbacks for the class skipped at that call. Once a class while it stays pending
     * ({@link #notSetUp}). Never throws.
     */
    private void setUpFailedLate(Class<?> c, Throwable setUp, Object auditLabel) {
        boolean first;
        try {
            first = firstNotSetUp(c);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            first = true; // no memory to remember it: on record again rather than perhaps never
        }
        if (!first) {
            return; // on record already; the call runs without the patch's version, as that one did
        }
        String what;
        try {
            what = couldNotRun(Kind.PRE_PATCH, c, setUp, "; a later call of the class runs it");
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            what = Kind.PRE_PATCH.undescribed;
        }
        failed(what, setUp, c, auditLabel);
    }

    /**
     * The closing callbacks of a transition that has completed: {@code postPatch} (to patched) or
     * {@code postUnpatch} (to unpatched). Never throws: the transition has ended whatever they do.
     * Caller holds klpMutex.
     */
    void closing(boolean patched) {
        if (byClass.isEmpty()) {
            return;
        }
        closingRuns = "the transition has ended";
        try {
            if (patched) {
                postPatchAll();
            } else {
                postUnpatchAll();
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            try {
                Log.get().log(System.Logger.Level.ERROR, "'" + patchName + "': running the "
                        + (patched ? "postPatch" : "postUnpatch") + " callbacks failed", e);
            } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
                // no memory for the line either: the transition has ended all the same (never throws)
            }
        } finally {
            closingRuns = null;
        }
    }

    /**
     * What its closing callbacks that are running close ({@code "the transition has ended"}, {@code "its
     * enable was refused"}), or {@code null} when none runs. Caller holds klpMutex.
     */
    String closingRuns() {
        return closingRuns;
    }

    /**
     * The callback of this patch that runs now, for status: {@code postPatch of com.acme.Cache in class loader app
     * (thread 'jlivepatch-transition' (id 31), running for 3 s)}; {@code null} when none runs. Without klpMutex.
     */
    String runningNow() {
        Object[] r = runningNow; // one callback's four parts, read once
        if (r == null) {
            return null;
        }
        Class<?> c = (Class<?>) r[1];
        Thread t = (Thread) r[2];
        return r[0] + " of " + c.getName() + " in class loader " + LoaderNames.of(c.getClassLoader()) + " (thread '"
                + t.getName() + "' (id " + t.getId() + "), running for "
                + java.time.Duration.ofNanos(System.nanoTime() - (Long) r[3]).toSeconds() + " s)";
    }

    /**
     * What its opening callbacks that are running open (an enable's prePatch, a disable's preUnpatch), or
     * {@code null} when none runs. Caller holds klpMutex.
     */
    String openingRuns() {
        return openingRuns;
    }

    /**
     * Refuses callbacks for a class the patch replaces no method of: callbacks run per target class,
     * and a class defined later gets them at the first call of one of its patched methods.
     */
    static void checkTargets(io.jlivepatch.Patch patch) throws PatchException {
        for (String name : patch.callbacks().keySet()) {
            boolean target = false;
            for (io.jlivepatch.Patch.Replacement r : patch.replacements()) {
                target |= r.className().equals(name);
            }
            if (!target) {
                throw new PatchException(Reason.INVALID_PATCH, patch.name(), "patch '" + patch.name()
                        + "' has callbacks for " + name + ", which it replaces no method of: callbacks run per"
                        + " target class, for each class loader that defines it; give them to a class the patch"
                        + " replaces a method of (or fix the class name)");
            }
        }
    }

    /** Whether class {@code c} (of a callback name) has not had its prePatch while the patch is armed. */
    boolean pending(Class<?> c) {
        return armed && byClass.containsKey(c.getName()) && !hasRun(c);
    }

    /**
     * Notes that a call of {@code c}, from {@code held}, ran its own code because its callbacks could
     * not run then (LateCallbacks.deferred). Returns whether it is the first since the patch was armed
     * (the one the log tells of); false when they are not pending.
     */
    synchronized boolean deferred(Class<?> c, String held) {
        if (!pending(c)) {
            return false;
        }
        if (deferred == null) {
            deferred = new WeakHashMap<>();
        }
        return deferred.putIfAbsent(c, new Deferral(held, System.nanoTime())) == null;
    }

    /** For status: why {@code c}'s calls run its own code while its callbacks are pending, or {@code null}. */
    String deferral(Class<?> c) {
        Deferral d;
        synchronized (this) {
            d = deferred == null || !pending(c) ? null : deferred.get(c);
        }
        if (d == null) {
            return null;
        }
        return "its callbacks have not run yet: its first call came from " + d.held() + " while jlivepatch's lock"
                + " was taken, " + java.time.Duration.ofNanos(System.nanoTime() - d.since()).toSeconds() + " s ago,"
                + " which could not wait for them; the class runs the topmost version of a patch with no callbacks"
                + " left to run for it (one above this patch's too), passing over this patch's, or its own code, until"
                + " a call from elsewhere runs them";
    }

    /** Why {@code c} runs its own code instead of this patch's functions, or {@code null}. */
    synchronized String failure(Class<?> c) {
        return refused.isEmpty() ? null : refused.get(c);
    }

    private synchronized boolean hasRun(Class<?> c) {
        if (refused.containsKey(c)) {
            return true;
        }
        for (WeakReference<Class<?>> r : prepared) {
            if (r.get() == c) {
                return true;
            }
        }
        return false;
    }

    /**
     * The prepared classes, for closing callbacks ({@code kind}, postPatch or postUnpatch), which stop nothing: when
     * there is no memory for the list, none can run, and that is on record as their failure ({@link #failed}: status,
     * the audit, a WARNING), where until 2026-12-07 it went out to closing()'s catch, an ERROR line only; the
     * transition ends all the same. preUnpatchAll's list is not taken here: its failure refuses the disable, which
     * has changed nothing yet. Never throws.
     */
    private List<Class<?>> closingClasses(Kind kind) {
        try {
            return preparedClasses();
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            failed(kind.unlisted, e, null, null);
            return java.util.Collections.emptyList(); // its iterator is a constant: nothing to allocate in the loop
        }
    }

    private synchronized List<Class<?>> preparedClasses() {
        failListForTests();
        List<Class<?>> out = new ArrayList<>(prepared.size());
        for (WeakReference<Class<?>> r : prepared) {
            Class<?> c = r.get();
            if (c != null) {
                out.add(c);
            }
        }
        return out;
    }

    private synchronized void reset() {
        prepared.clear();
        refused.clear();
        deferred = null;
        notSetUp = null;
    }

    /** Whether this is the first time {@code c}'s prePatch could not be set up since the patch was armed. */
    private synchronized boolean firstNotSetUp(Class<?> c) {
        if (notSetUp == null) {
            notSetUp = new WeakHashMap<>();
        }
        return notSetUp.put(c, Boolean.TRUE) == null;
    }

    /**
     * Runs one callback; returns what it threw, or {@code null}.
     *
     * <p>On the application's own call (the API, a class's first call) the thread's interrupt is the
     * application's: one the callback was told of stays set. On a thread that serves a command, the watch,
     * start-up or the transition worker, nobody but the callback could have set or taken one, and the
     * thread's next wait or socket write would act on it: the watch thread ended for good at its next
     * wait, a command's session closed its channel before the answer (ClosedByInterruptException), and
     * start-up's would reach the application's main thread. There its interrupt status is left as the
     * callback found it, and so is its context class loader: a callback that set it (to its patch's
     * loader, say) left the next operations of a long-lived thread of jlivepatch's (the watch, the
     * control socket's session) looking up services and resources through that loader, and kept the
     * patch's classes from being collected after it was unloaded.
     */
    private Throwable run(Kind kind, Callbacks cb, Class<?> c) {
        // Each step of the set-up is undone by a finally that covers every step after it, so that a Throwable
        // thrown anywhere between them (a StackOverflowError, an OutOfMemoryError for the strings and the array)
        // leaves neither a stale callback for status and refuseInside nor the thread marked for good:
        //   RecursionGuard.enter                 pairs with RecursionGuard.exit, the outer finally
        //   RUNNING.set, runningNow, callbackRuns pair with RUNNING's and runningNow's restore and
        //                                        callbackReturned, the inner finally
        // The set-up's own failure is thrown on: it is jlivepatch's, not the callback's. A prePatch's refuses the
        // enable (out of memory, the classes prepared before it undone: enableIn); for the callbacks that stop
        // nothing it is that callback's failure, and the next class's runs (runStoppingNothing).
        int mark = RecursionGuard.enter();
        try {
            String before = RUNNING.get();
            boolean applications = Requester.current().equals(Requester.API);
            Thread self = Thread.currentThread();
            boolean interrupted = self.isInterrupted();
            ClassLoader context = null;
            boolean putContextBack = !applications;
            if (putContextBack) {
                try {
                    context = self.getContextClassLoader();
                } catch (SecurityException e) {
                    putContextBack = false; // a security manager's: what it does not let us read we leave alone
                }
            }
            Object[] outer = runningNow;
            String waited = null;
            boolean announced = false; // callbackRuns returned: callbackReturned puts back what it replaced
            try {
                Object[] now = new Object[] {kind.label, c, self, System.nanoTime()};
                RUNNING.set(kind.label + " of " + c.getName());
                runningNow = now;
                io.jlivepatch.internal.OwnThread.patchCodeRunsHere(); // the watch's thread retires after it
                // Inside an operation, what a line of the JVM's exit says it was doing (a callback that exits).
                waited = registry.callbackRuns(kind.label, c);
                announced = true;
                failSetUpForTests();
                try {
                    switch (kind) {
                        case PRE_PATCH -> cb.prePatch(c);
                        case POST_PATCH -> cb.postPatch(c);
                        case PRE_UNPATCH -> cb.preUnpatch(c);
                        default -> cb.postUnpatch(c);
                    }
                    return null;
                } catch (Throwable t) { // the application's code: whatever it throws is its failure (class comment)
                    if (t instanceof InterruptedException && applications) {
                        Thread.currentThread().interrupt(); // keep what the callback was told
                    }
                    return t;
                }
            } finally {
                if (!applications) {
                    Thread.interrupted(); // what the callback left; put back as it found it
                    if (interrupted) {
                        self.interrupt();
                    }
                }
                if (putContextBack) {
                    try {
                        if (self.getContextClassLoader() != context) {
                            self.setContextClassLoader(context);
                        }
                    } catch (SecurityException e) {
                        // not ours to set under this security manager: left as the callback made it
                    }
                }
                if (before == null) {
                    RUNNING.remove();
                } else {
                    RUNNING.set(before); // its entry exists (get made it, or set above): no allocation
                }
                runningNow = outer; // a callback of this patch that it ran (a class it defined, at its first call) is over
                if (announced) {
                    registry.callbackReturned(waited);
                }
            }
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /** Thrown once by the next callback's set-up, after its every write and before the callback; tests. */
    private static volatile Error setUpFailureForTests;

    /** Makes the next callback's set-up fail with {@code e} once its writes are made (before the callback); tests. */
    static void failNextSetUpForTests(Error e) {
        setUpFailureForTests = e;
    }

    private static void failSetUpForTests() {
        Error injected = setUpFailureForTests;
        if (injected != null) {
            setUpFailureForTests = null;
            throw injected;
        }
    }

    /** Thrown once by the next listing of the prepared classes ({@link #preparedClasses}); tests. */
    private static volatile Error listFailureForTests;

    /** Makes the next listing of the prepared classes fail with {@code e}, as with no memory for the list; tests. */
    static void failNextListForTests(Error e) {
        listFailureForTests = e;
    }

    private static void failListForTests() {
        Error injected = listFailureForTests;
        if (injected != null) {
            listFailureForTests = null;
            throw injected;
        }
    }

    /**
     * Runs {@code c}'s callback of {@code kind}, one that stops nothing (postPatch, preUnpatch, postUnpatch): what it
     * throws, and what its set-up throws before it is called ({@link #run}'s own failure, out of memory or stack), is
     * logged, audited and counted for status, and the caller goes on to the next class. Until 2026-12-07 a set-up's
     * Error went out of the loop: the other classes' closing callbacks never ran, nothing but an ERROR line said so
     * (no audit entry, status's callbackFailures unchanged), and a patch whose postUnpatch it cut short stayed armed;
     * a class defined later, prepared, had its postPatch's taken by LateCallbacks' catch, with an ERROR line only.
     * Never throws.
     *
     * @param late       {@code c} when it is a class defined later, its first call running the callback, else null
     *                   ({@link #failed})
     * @param auditLabel for {@code late}: the registration's ({@link #prepareLate})
     */
    private void runStoppingNothing(Kind kind, Class<?> c, Class<?> late, Object auditLabel) {
        Throwable thrown;
        boolean ran = true;
        try {
            thrown = run(kind, byClass.get(c.getName()), c);
        } catch (Throwable setUp) { // jlivepatch's own, before the callback: it did not run
            thrown = setUp;
            ran = false;
        }
        if (thrown == null) {
            return;
        }
        String what;
        try {
            what = ran ? describe(kind, c, thrown) : couldNotRun(kind, c, thrown, "");
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            what = kind.undescribed;
        }
        failed(what, thrown, late, auditLabel);
    }

    /**
     * Its WARNING carries {@code thrown}, the callback's own, so that a handler prints where in the callback it
     * failed (until 2026-12-07 the line alone said what it threw); the audit and status keep the one line.
     *
     * @param late a class defined later, whose first call ran the callback ({@link #prepareLate}), or null: nobody
     *             asked for that, and the thread is whatever application thread made the call
     * @param auditLabel for {@code late}: the registration's, {@link #prepareLate}'s
     */
    private void failed(String what, Throwable thrown, Class<?> late, Object auditLabel) {
        lastFailure = what;
        failures.incrementAndGet();
        try {
            Log.get().log(System.Logger.Level.WARNING, "'" + patchName + "': " + what, thrown);
        } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
            // No memory for the line: the failure stands in status and the audit log, and the caller goes on
            // (thrown on, it cut a disable short after its preUnpatch ran, or an undone enable before its reset).
        }
        try {
            // Through the registry, not straight to the audit log: a closing callback that fails at a
            // transition's end inside an operation is recorded after that operation's line and before the
            // transition's end, as the rest of that end is (PatchRegistry.finish).
            registry.callbackFailed(patchName, "failed " + what, late, auditLabel);
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // the failure stands, and is logged, even when its audit entry finds no memory
        }
    }

    private static String describe(Kind kind, Class<?> c, Throwable t) {
        return kind.label + " of " + c.getName() + " in class loader " + LoaderNames.of(c.getClassLoader())
                + " threw " + Text.of(t);
    }

    /**
     * What status, the audit and the WARNING say of {@code c}'s callback of {@code kind} that jlivepatch's set-up
     * ({@link #run}'s own failure, before the callback) kept from running, {@code more} after it. Allocates: its
     * callers catch its failure and say {@link Kind#undescribed} instead, made with the class.
     */
    private static String couldNotRun(Kind kind, Class<?> c, Throwable setUp, String more) {
        return kind.label + " of " + c.getName() + " in class loader " + LoaderNames.of(c.getClassLoader())
                + " could not run: jlivepatch's set-up of it threw " + Text.of(setUp) + more;
    }

}
