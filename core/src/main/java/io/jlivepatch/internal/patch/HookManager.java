package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.Suppressed;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Hooks and dispatch (the kernel's {@code patch.c}): moves the JVM from one {@link LinkTable} to
 * the next. Methods that gain their first active patch get a hook, methods that lose their last
 * one lose it, and every linked call site is relinked. Each affected class is retransformed once,
 * in one batch. Callers serialize {@link #apply} (the registry's lock).
 */
public final class HookManager {

    /**
     * The caller's of {@link #install}. Replaced only when a retry takes this manager up again
     * ({@link #abandoned}), under Livepatch.class and before any patch exists; volatile for the
     * threads that read it after that install returned (the relinker, the transformer's look-ups).
     */
    private volatile Instrumentation instrumentation;
    private final HookLedger ledger = new HookLedger();
    /**
     * Retransforms the classes whose definition was in flight during a change, once they are loaded
     * (InFlight). Made by the first change, under the registry's lock: a JVM that never gets a patch
     * does not load it (FootprintIT).
     */
    private InFlightFollowUp inFlight;
    /** The registry's lock, for {@link #inFlight}; set once, at the registry's creation, before any change. */
    private volatile java.util.concurrent.locks.Lock lifecycle;

    /**
     * Written only in {@link #apply} (under the registry's lock); read without locks by the
     * transformer and by the linker, which must see a whole table, hence immutable and volatile.
     */
    private volatile LinkTable table = LinkTable.EMPTY;

    /**
     * Loaded, not initialized, with this class, as ReplacementLinker's site is with the linker: a hook's
     * first call past its gate starts one, and the JAR it would be read from then may have been
     * overwritten in place since (OverwrittenAgentJarIT).
     */
    @SuppressWarnings("unused")
    private static final Class<?> LOADED_WITH_THE_HOOKS = RelinkThread.class;

    // Set by activate() under this object's monitor, before `active` (a volatile write) publishes them.
    private DispatchBridge dispatch;
    private ReplacementLinker linker;
    /** Set once, before any patch is enabled; handed to the linker when it exists. Under this object's monitor. */
    private ClassCallbacks callbacks;
    private volatile boolean active;
    /** The linker of the first activation attempt; under this object's monitor. */
    private ReplacementLinker pendingLinker;
    /** The thread in {@link #activate} now: its own jlivepatch code (logging, the guard's warm-up) must not wait for itself. */
    private volatile Thread activating;
    /** Why activation failed, for good (another copy of jlivepatch owns the JVM, ...); then every operation is refused with it. */
    private volatile IllegalStateException failed;
    /**
     * What {@link #install} added and {@link #uninstall} takes back: its transformer, and its value of
     * {@link #OWNER_PROPERTY} when this install claimed it (null when it found it claimed by this copy
     * already). Written by install and read by uninstall, both under Livepatch.class.
     */
    private HookTransformer transformer;
    private String claim;
    /**
     * The manager of an installation that failed and left what only it can take back: its activation
     * (Dispatch keeps its linker; a new manager would be refused as another copy's until the JVM
     * restarts), or its transformer, whose removal failed. The next {@link #install} of this copy
     * uses it. Written by {@link #uninstall} and {@link #install}, both under Livepatch.class.
     */
    private static HookManager abandoned;

    private HookManager(Instrumentation instrumentation) {
        this.instrumentation = instrumentation;
    }

    /**
     * Loaded at install (this class's initialization), not at the first change: a thread loading a class holds its loader's locks
     * while the hooked JDK methods that loader runs may wait for Dispatch's link lock, whose holder
     * must then never load a class itself (see HookLedger.LOADED_EARLY).
     */
    private static final Class<?>[] LOADED_EARLY = {RouteChanged.class, LoadedClasses.class, Suppressed.class};

    /** The system property the installed copy of jlivepatch claims (see {@link #install}). */
    static final String OWNER_PROPERTY = "jlivepatch.owner";

    /**
     * Installs jlivepatch's hooks and dispatch in two steps. Now: the checks, and the bootstrap package
     * on the bootstrap class path (so that {@code io.jlivepatch.Shadow} is one store per JVM from the
     * start). At the first operation that needs them ({@link #activate}): the dispatch bridge, the
     * recursion guard and the linker, which cost a JVM's start-up tens of
     * milliseconds (BENCHMARKS.md, section 4) that a JVM which never gets a patch need not pay.
     */
    public static HookManager install(Instrumentation inst) {
        if (!inst.isRetransformClassesSupported()) {
            throw new IllegalStateException("this Instrumentation cannot retransform classes: the agent JAR's"
                    + " manifest needs 'Can-Retransform-Classes: true'");
        }
        if (!BootstrapClassPath.appended()) {
            // Before the claim below: a refusal here leaves the JVM exactly as it was. The append
            // makes the JVM write a warning to standard error, which must take it (StandardErrorProbe).
            StandardErrorProbe.check();
        }
        // A manager of this copy that a failed installation left active (Dispatch keeps its linker for
        // good and would refuse a new manager's as another copy's) or with its transformer registered
        // (uninstall): the retry takes it up again, with the caller's Instrumentation (set in the try
        // below: a refusal changes nothing).
        HookManager hm = abandoned != null ? abandoned : new HookManager(inst);
        // Which copy of jlivepatch owns the JVM is decided here, at install, as it always was: a copy
        // installed but idle (no patch yet, so Dispatch has no resolver) must not lose the JVM to a
        // copy of another class loader that happens to make the first change.
        String me = "jlivepatch@" + Integer.toHexString(System.identityHashCode(HookManager.class));
        Object owner = System.getProperties().putIfAbsent(OWNER_PROPERTY, me); // atomic: Properties is concurrent
        if (owner != null && !owner.equals(me)) {
            throw new IllegalStateException("another copy of jlivepatch (loaded by another class loader) already"
                    + " patches this JVM; use that one (Livepatch.get() from its class loader), or restart the JVM with"
                    + " a single copy of jlivepatch");
        }
        hm.claim = owner == null ? me : null;
        try {
            HookTransformer left = hm.transformer;
            if (left != null) {
                // The abandoned manager's, whose removal failed (uninstall): removed now, through the
                // Instrumentation that added it, or this retry would leave two (a failure refuses it).
                hm.instrumentation.removeTransformer(left);
                hm.transformer = null;
            }
            hm.instrumentation = inst; // the same, unless hm is the abandoned manager
            if (BootstrapClassPath.appended()) {
                // A jlivepatch that does not claim the property (an older version) was here first:
                // activation's Dispatch.install refuses it now, as it always did. Also the retry of an
                // install that failed after its append, which cannot be undone (uninstall).
                hm.activate();
            } else {
                BootstrapClassPath.append(inst);
            }
            RecursionGuard.prepareRelaxer(); // made here, on the installing thread; started by the activation
            RecursionGuard.activateWith(hm);
            // The transformer now, not at activation: the order of transformers is the order agents
            // registered them in, and another agent's code must see jlivepatch's prologue the same
            // whenever the first patch comes (README: 'Other agents'). Until then the table is empty and
            // it returns at once.
            // jlivepatch's first log line, from now on, can see whether java.util.logging is up (JulFirstUse)
            io.jlivepatch.internal.Log.instrumentation(inst);
            HookTransformer transformer = new HookTransformer(hm.new CurrentTable(), hm.ledger, inst);
            transformer.warmUp();
            hm.transformer = transformer; // before the add: an add that threw may have added it all the same
            inst.addTransformer(transformer, true);
        } catch (Throwable e) {
            hm.uninstall(e);
            throw e;
        }
        abandoned = null; // taken up: the caller's own later failure sets it again (uninstall)
        return hm;
    }

    /**
     * Undoes {@link #install}, for an installation that failed after it (in it, or in a later step of
     * Livepatch.install, under the same Livepatch.class): its transformer is removed, the recursion
     * guard no longer activates it, and its claim of the JVM is given back, so that a retry installs
     * once, as if this one had never run. Left as they are, since nothing can take them back: the
     * bootstrap class path's append (a retry finds it there and activates at once: {@link #install}),
     * and an activation: Dispatch keeps this manager's linker, so a retry of this copy takes this
     * manager up again ({@link #abandoned}) rather than make one that Dispatch refuses. Never
     * throws: what fails here is added to {@code why}, the failure the caller reports.
     */
    public void uninstall(Throwable why) {
        if (active) {
            abandoned = this; // first: no later step's failure may lose it
        }
        // The reverse of install's order: the claim last, so that no other copy can claim the JVM
        // while this copy's transformer still runs.
        try {
            HookTransformer t = transformer;
            if (t != null) {
                instrumentation.removeTransformer(t);
                transformer = null;
            }
        } catch (Throwable e) {
            abandoned = this; // its transformer stays registered: the retry removes it first (install)
            Suppressed.add(why, e); // why may be the JVM's one shared OutOfMemoryError, and e that same one
        }
        try {
            // An enter() on any thread from now on must not activate this manager (install's activateWith).
            RecursionGuard.deactivate(this);
        } catch (Throwable e) {
            Suppressed.add(why, e);
        }
        try {
            String c = claim;
            if (c != null) {
                System.getProperties().remove(OWNER_PROPERTY, c); // pairs with install's putIfAbsent
                claim = null;
            }
        } catch (Throwable e) {
            Suppressed.add(why, e);
        }
    }

    /**
     * Completes {@link #install}: idempotent, and cheap once done. Every operation that changes hooks
     * or needs the transformer calls it first; so does {@link RecursionGuard#enter()}, so that no
     * jlivepatch code runs unmarked once hooks can exist.
     *
     * @throws IllegalStateException when jlivepatch cannot work in this JVM (another copy owns it, the
     *                               bootstrap class path cannot be extended); the same every time
     */
    @SuppressWarnings("removal") // System.getSecurityManager: installHooksPrivileged only while one is set
    public void activate() {
        if (active) {
            return;
        }
        IllegalStateException f = failed;
        if (f != null) {
            throw f;
        }
        // One monitor for every thread that activates; the activating thread re-enters it (Java
        // monitors are reentrant) when its own logging (published directly with a back-end other than
        // java.util.logging) or the guard's warm-up calls RecursionGuard.enter, and returns at once:
        // it must not wait for itself. No other lock is taken here around it.
        synchronized (this) {
            if (active || activating == Thread.currentThread()) {
                return;
            }
            if (failed != null) {
                throw failed;
            }
            // Before anything of it: activation runs static initializers for the first time (the boot
            // loader's Recursion and Dispatch, whose method handles the JDK builds then), and an
            // overflow inside one marks its class erroneous for the JVM's life: every later operation
            // would be refused until a restart. The first operation may come from a patch's code deep
            // in a recursion; refused here, it changed nothing, and the next one with room activates.
            if (!roomToActivate()) {
                throw new StackOverflowError("no stack left on this thread to install jlivepatch's hooks (the JVM's"
                        + " first patch operation does); nothing was changed");
            }
            Error failure = activationFailureForTests;
            if (failure != null) {
                activationFailureForTests = null;
                throw failure; // as memory running out at the activation's first step: nothing changed yet
            }
            activating = Thread.currentThread();
            try {
                if (System.getSecurityManager() == null) {
                    installHooks();
                } else {
                    installHooksPrivileged();
                }
            } catch (IllegalStateException e) {
                failed = e;
                throw e;
            } catch (RuntimeException | LinkageError e) {
                failed = new IllegalStateException("jlivepatch could not install its hooks: " + e + "; nothing was"
                        + " changed, and every patch operation is refused until the JVM restarts: restart it (with"
                        + " -javaagent to load patches at start-up) and report this with the log", e);
                throw failed;
            } finally {
                activating = null;
            }
        }
    }

    /**
     * How many levels of StackRoom's probe {@link #roomToActivate()} goes down: about 70 KB of stack on
     * JDK 17 and 25, x86-64 (StackRoom's frames, nine times its depth). Activation, loading, verifying
     * and initializing its classes, went about 14 KB deeper than its caller there
     * (FirstOperationStackEdgeDriver); the margin is for what another JVM loads on the way that the
     * driver's had loaded already, and for other JDKs and platforms.
     */
    private static final int ACTIVATION_FRAMES = 512;

    /**
     * Whether the calling thread has room for the whole activation. Asked only before it, once per
     * JVM on the thread that activates: threads of a JVM commonly have 1 MB or more, and one this
     * close to its end overflows in a moment anyway.
     */
    /** {@link #activate}'s work, under its monitor, on the activating thread. */
    private void installHooks() {
            DispatchBridge bridge = new DispatchBridge(BootstrapClassPath.dispatchClass(instrumentation));
            // One linker for every attempt: an attempt that an error (out of memory) ended after
            // Dispatch took the resolver is retried with that same resolver, which Dispatch accepts.
            ReplacementLinker l = pendingLinker;
            if (l == null) {
                l = new ReplacementLinker(new CurrentTable(), ledger, new Relinker());
                pendingLinker = l;
            }
            if (callbacks != null) {
                l.callbacks(callbacks);
            }
            l.relinking(bridge.relinking());
            if (!bridge.install(l)) {
                throw new IllegalStateException("another copy of jlivepatch (loaded by another class loader)"
                        + " already patches this JVM; use that one (Livepatch.get() from its class loader), or restart"
                        + " the JVM with a single copy of jlivepatch");
            }
            dispatch = bridge;
            linker = l;
            // The guard is installed (the bridge did it): a stretch of jlivepatch's code that began
            // unmarked before it (RecursionGuard.enterIfActive) must be marked (or, if it cannot be,
            // ended) before the first hook can exist, and hooks are added only once `active` is set
            // (apply, after activate returns).
            RecursionGuard.adoptUnmarkedStretches();
            active = true; // publishes dispatch and linker to threads that read `active` first
    }

    /**
     * {@link #installHooks} with jlivepatch's own permissions: the first operation may be anyone's (an
     * application's thread, a JMX client's call that its connector runs in the client's context, whose domain has
     * only what the policy grants the client), and the hooks' installation reads class loaders and starts
     * jlivepatch's threads (JmxCallerSecurityManagerTest: refused getClassLoader before).
     */
    @SuppressWarnings("removal") // AccessController: only while a SecurityManager is set
    private void installHooksPrivileged() {
        java.security.AccessController.doPrivileged(new java.security.PrivilegedAction<Void>() {
            @Override
            public Void run() {
                installHooks();
                return null;
            }
        });
    }

    private static boolean roomToActivate() {
        return io.jlivepatch.internal.bootstrap.StackRoom.left(ACTIVATION_FRAMES);
    }

    /** {@link #activate} for {@link RecursionGuard#enter()}: never throws; whether jlivepatch is active now. */
    boolean activateQuietly() {
        if (active) {
            return true;
        }
        if (activating == Thread.currentThread() || failed != null) {
            return false;
        }
        try {
            activate();
        } catch (IllegalStateException e) {
            Log.get().log(System.Logger.Level.ERROR, "jlivepatch cannot patch this JVM: " + e.getMessage());
        } catch (StackOverflowError e) {
            // No room to activate here (roomToActivate): the caller runs unmarked, as before the
            // installation, which is safe while no hook exists; the next caller with room activates.
            return false;
        }
        return active;
    }

    /**
     * {@link #table()} for the transformer and the linker: one small class where two method
     * references would each spin a hidden class in the target (issue 10).
     */
    private final class CurrentTable implements Supplier<LinkTable> {
        @Override
        public LinkTable get() {
            return table;
        }
    }

    /** How long a relink waits for the requests of a burst of first calls before it starts ({@link Relinker}). */
    private static final long RELINK_GATHER_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(5);

    /**
     * What starting a relink's thread throws instead, when set: a JVM out of native threads, say, which
     * no test can make happen for real. Tests only.
     */
    static volatile Error relinkStartFailureForTests;

    /** Thrown once by the next {@link #activate()} before it changes anything (ActivationExitDriver's {@code oom}). */
    static volatile Error activationFailureForTests;

    /**
     * Relinks every call site from a short-lived thread of jlivepatch's own (marked: it never runs a
     * replacement). Asked when a patch class's first call settled its initialization or a class's
     * callbacks ran (on that call, inside the patched method's hook), and when another agent's change
     * of a class makes the copies of its original code that {@code @Next} runs stale (in the
     * transformer): nothing of it may reach the application's call, or the class's definition.
     */
    private final class Relinker implements Runnable {

        /**
         * Whether a relink was asked for and has not started yet: the requests that come meanwhile are
         * served by it. A service's first requests meet every patch class at once, and each asked for a
         * thread that relinked every site (ten start-up patches: ten threads, a hundred relinks, queued
         * on the link lock that the first calls' own links wait for). getAndSet on both sides: the
         * asker's write is a release that the relinking thread's getAndSet(false) acquires before it
         * relinks, so the relink sees what every asker it serves settled before asking (a class's
         * initialization, its callbacks); an asker that finds none pending starts a thread of its own.
         */
        private final java.util.concurrent.atomic.AtomicBoolean pending =
                new java.util.concurrent.atomic.AtomicBoolean();
        /** A relink's thread failed to start: said once, not at every first call of a busy JVM. */
        private final java.util.concurrent.atomic.AtomicBoolean refusalLogged =
                new java.util.concurrent.atomic.AtomicBoolean();

        @Override
        public void run() {
            if (pending.getAndSet(true)) {
                return; // a relink that has not started yet serves this request too
            }
            try {
                Error refused = relinkStartFailureForTests;
                if (refused != null) {
                    throw refused;
                }
                if (System.getSecurityManager() == null) {
                    // Inherits nothing of the application's thread that asks (OwnThread): no context
                    // loader, no inheritable thread-local values kept alive while it waits.
                    new RelinkThread(this).start();
                } else {
                    startPrivileged();
                }
            } catch (RuntimeException | Error e) {
                // No thread (out of native threads or memory): the application's call goes on, and the
                // sites keep their links until the next relink (the next change's, or the next request's):
                // a gate stays (correct, one check more a call), a patch class that failed to initialize
                // shows in status only then, and a copy of the original code that @Next runs follows
                // another agent's change of its class only then.
                pending.set(false);
                refused(e);
            }
        }

        /**
         * Under a SecurityManager (JDK 17 to 23), with jlivepatch's own permissions: the application's
         * thread that asks may not be allowed to start a thread or set its context loader, as
         * ReplacementLinker.apply links with them.
         */
        @SuppressWarnings("removal") // AccessController: only while a SecurityManager is set
        private void startPrivileged() {
            java.security.AccessController.doPrivileged(new java.security.PrivilegedAction<Void>() {
                @Override
                public Void run() {
                    new RelinkThread(Relinker.this).start();
                    return null;
                }
            });
        }

        private void refused(Throwable e) {
            if (e instanceof StackOverflowError) {
                // A first call at the edge of its thread's stack: no shortage of threads, and logging here
                // would overflow too. Not said, and the one warning stays for a real shortage; the next
                // first call, or the next change, relinks.
                return;
            }
            if (refusalLogged.getAndSet(true)) {
                return;
            }
            // On the application's thread, inside a hook: marked, so that the JDK code logging runs
            // meets no replacement (pairs with the guard's RecursionGuard.outside).
            int mark = RecursionGuard.enter();
            try {
                Log.get().log(System.Logger.Level.WARNING, "a thread to relink the hooks could not start ({0}): the"
                        + " application''s call went on; until the next change relinks them, the hooks keep their"
                        + " links: a patch class''s first calls pass one check more, a patch class that failed to"
                        + " initialize shows in status only then, and a copy of the original code that @Next runs"
                        + " does not follow another agent''s change of its class. A JVM out of native threads is at"
                        + " a limit on threads (its user''s ''ulimit -u'', its cgroup''s pids.max) or on native"
                        + " memory (logged once)", String.valueOf(e));
            } catch (RuntimeException | Error again) {
                // the log cannot take it either: the application's call still goes on
            } finally {
                RecursionGuard.exit(mark);
            }
        }

        private void relink() {
            // A service's first calls of its patched methods come in a burst: a relink at the first would
            // hold the link lock that the next ones link under, and the next gate would ask again. The
            // gates are correct meanwhile (each version's own gate decides), only slower, so the relink
            // waits a moment and serves the whole burst.
            LockSupport.parkNanos(RELINK_GATHER_NANOS);
            pending.getAndSet(false); // pairs with run's getAndSet(true): see the field
            int mark = RecursionGuard.enter();
            try {
                dispatch.relinkAll();
            } catch (RuntimeException | LinkageError e) {
                Log.get().log(System.Logger.Level.ERROR, "relinking after a patch class's initialization failed", e);
            } catch (VirtualMachineError e) {
                // A site's resolution found no memory or stack: it keeps its gate (correct, one check more a
                // call) and stays queued for the next link or relink (Dispatch.relink). Said, not
                // thrown into this thread's end, where the JVM would print it outside jlivepatch's log.
                // Nothing to guard: the logger never throws (CleanLogger), the message is a constant (no
                // allocation here), and the stack is this thread's own, all but unused at this depth.
                Log.get().log(System.Logger.Level.ERROR, "relinking the hooks ran out of memory or stack; the hooks"
                        + " keep their links until the next link or change relinks them", e);
            } finally {
                RecursionGuard.exit(mark);
            }
        }
    }

    /** The thread of one relink ({@link Relinker}). A class, not a lambda: the same count of classes at a first load. */
    private static final class RelinkThread extends io.jlivepatch.internal.OwnThread {
        private final Relinker relinker;

        RelinkThread(Relinker relinker) {
            super(null, "jlivepatch-relink");
            this.relinker = relinker;
        }

        @Override
        public void run() {
            relinker.relink();
        }
    }

    /**
     * Has the callbacks of classes defined while their patch is enabled run before their first
     * redirected call (see {@link ClassCallbacks}). Called once, before any patch is enabled.
     */
    public synchronized void callbacks(ClassCallbacks callbacks) {
        this.callbacks = callbacks;
        if (linker != null) {
            linker.callbacks(callbacks);
        }
    }

    public LinkTable table() {
        return table;
    }

    /**
     * The registry's lock, which every caller of {@link #apply} holds: the follow-up of definitions in
     * flight takes it too ({@link InFlightFollowUp}). Set once, before any patch is registered.
     */
    public void lifecycleLock(java.util.concurrent.locks.Lock lock) {
        lifecycle = lock;
    }

    /**
     * Records the definitions of classes of {@code binaryNames} (every registered patch's targets)
     * from now on (see {@link HookLedger#watch}). Caller holds the registry's lock.
     */
    public void watch(Set<String> binaryNames) {
        ledger.watch(binaryNames, table); // the table only changes under that lock too
    }

    /** The methods whose foreign code was logged once ({@link #foreignCode}), by loader, class and key. */
    private final ReportedOnce foreignCodeReported = new ReportedOnce();

    public HookLedger ledger() {
        return ledger;
    }

    public Instrumentation instrumentation() {
        return instrumentation;
    }

    /**
     * Whether another agent put code of its own into {@code spec}'s method of {@code c} before
     * jlivepatch's hook: the code the transformer got differs from the class file {@code c}'s loader
     * holds. Then that code (an OpenTelemetry span, a Byte Buddy advice, JaCoCo's probes) does not
     * run while a replacement does, since the prologue comes first. Reads the class file: for
     * status, not for a hot path. Logs a warning the first time it finds one.
     *
     * @return what to tell the operator, or {@code null} when the code is the class file's own, or
     *         when that cannot be told (no hook, no class file to compare with)
     */
    public String foreignCode(Class<?> c, MethodSpec spec) {
        Long got = ledger.get(c.getClassLoader(), c.getName()).code().get(spec.key());
        if (got == null) {
            return null;
        }
        byte[] classFile;
        try (java.io.InputStream in = c.getResourceAsStream("/" + c.getName().replace('.', '/') + ".class")) {
            if (in == null) {
                return null;
            }
            classFile = in.readAllBytes();
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
        Long own = PrologueInjector.fingerprints(classFile, List.of(spec)).get(spec.key());
        if (own == null || own.equals(got)) {
            return null;
        }
        // With jlivepatch's -javaagent first already, the start order is no remedy (JaCoCo's probes).
        String why = "another agent changed this method before jlivepatch's hook (its code is not its class file's):"
                + " while the patch is enabled that agent's code in it runs only if the replacement calls the original"
                + " through @Next; " + (AgentOrder.jlivepatchFirst(instrumentation)
                ? "jlivepatch's -javaagent comes first already, so that agent changed the class as it was defined"
                        + " (as JaCoCo's does), which no start order changes"
                : "to keep it for any replacement, start the JVM with -javaagent:jlivepatch-agent.jar before that agent")
                + " (README: 'Other agents')";
        if (foreignCodeReported.first(LoaderNames.of(c.getClassLoader()) + " " + c.getName() + "." + spec.key())) {
            Log.get().log(System.Logger.Level.WARNING, c.getName() + "." + spec.key() + " in "
                    + LoaderNames.of(c.getClassLoader()) + ": " + why);
        }
        return why;
    }

    /** Number of methods of {@code owner} with linked dispatch sites. */
    public int linkedMethods(Class<?> owner) {
        return active ? dispatch.linkedMethods(owner) : 0;
    }

    /**
     * Switches to {@code next}: hooks are added first (a new transition's methods need them), the
     * linked sites whose route changes are relinked, and hooks {@code next} no longer needs are
     * removed last. On failure everything is as before and {@link HookFailure} says why (a shortage in the
     * retransformation is thrown itself, after the same undo; one later, in the relink, is thrown as it is).
     */
    public void apply(LinkTable next) throws HookFailure {
        apply(next, null);
    }

    /**
     * {@link #apply(LinkTable)} with the loaded classes the caller found in this operation (a scan
     * for the patch's classes), used instead of a scan of its own when it covers the classes whose
     * hooks change; may be {@code null}.
     */
    public void apply(LinkTable next, LoadedClasses known) throws HookFailure {
        activate(); // done by the registry's operation already; a no-op then
        Throwable undone = finishUndo(); // before the records below are read: they must be true
        if (undone != null) {
            // Not thrown: what failed again is the last undo's, not this change's, which goes on (refused for it
            // every time, a failure that persists would refuse every change); finishUndo tries again next time.
            logQuietly("completing the undo of an earlier failed change failed again (a ledger's record or a call"
                    + " site of a removed hook is left as it was); the next change tries again", undone);
        }
        LinkWarmer.warm(next);
        LinkTable prev = table;
        Set<String> names = LinkTable.classesWithChangedHooks(prev, next);
        LoadedClasses scan = LoadedClasses.covering(known, instrumentation, names);
        List<Class<?>> classes = scan.of(names);
        Map<Class<?>, ClassHooks> left = unrestored; // null unless finishUndo failed above: then these are true
        Map<Class<?>, ClassHooks> recorded = new HashMap<>();
        for (Class<?> c : classes) {
            ClassHooks r = left == null ? null : left.get(c);
            recorded.put(c, r != null ? r : ledger.get(c.getClassLoader(), c.getName()));
        }
        table = next; // pairs with the volatile reads in HookTransformer.transform and ReplacementLinker.apply
        boolean retransformed = false;
        try {
            retransform(classes);
            retransformed = true;
            retransformLateComers(names, classes, next, scan.takenAt());
            String problem = unhooked(classes, prev, next, recorded);
            if (problem != null) {
                throw new HookFailure(problem, null);
            }
        } catch (HookFailure | RuntimeException | LinkageError | VirtualMachineError e) {
            // Out of metaspace for the classes' new versions is a refusal too, which changed no class: left
            // published, next would be the table a retry starts from, and a transition's end (retried, not
            // undone by the registry as an operation's switch is) found no hook left to change and ended with
            // the removed hooks still in their classes and their sites linked (RetransformShortageTest).
            try {
                if (retransformed) {
                    rollback(prev, next, classes);
                } else {
                    // The JVM retransforms a batch whole or not at all: nothing changed but what the
                    // transformer recorded of classes the JVM then refused, and the sites a first call
                    // linked from next meanwhile. prev is published first: an Error in the ledger's
                    // restore (no memory for a record, no stack for its lock) left next published, whose
                    // hooks the transformer then put into classes defined later for a refused change, and
                    // from which a transition's retried end found no hook left to change
                    // (RetransformShortageTest). Pairs, as the publication of next above, with the volatile
                    // reads of HookTransformer.transform and ReplacementLinker.apply. A pass of the
                    // transformer over one of these classes that read next (another agent's retransformation)
                    // reads the table again after its record and, seeing prev, redoes the pass from prev
                    // (its loop); one whose last read saw next made its record before that read, so before
                    // this write and the restore, which replaces it. Such a pass's bytes, taken by the JVM
                    // for that agent, keep next's hooks all the same (the restore then says prev's) until
                    // the class's hooks next change, as they did with the restore first; a definition that
                    // read next is seen through by the look below (InFlight).
                    table = prev;
                    try {
                        restoreLedger(recorded, prev);
                    } catch (Throwable restore) { // any, as a finally would: rethrown as it is
                        try {
                            relinkAllBack(); // whatever the restore met: a site linked from next goes back to prev
                        } catch (Throwable relink) {
                            Suppressed.add(relink, restore); // else lost: the relink's is thrown
                            throw relink;
                        }
                        throw restore;
                    }
                    relinkAllBack();
                }
            } catch (Throwable undo) { // rethrown below: unchecked, as what the undo throws
                // The undo's failure is thrown: it left something undone (a record, a site), which the
                // caller reports as such (OUT_OF_MEMORY), not as the refusal's "nothing was changed". The
                // change's own failure (the JVM's reason, for the log) and the look's go with it.
                Suppressed.add(undo, e);
                // A class defined since the publication of next read it, and no scan of this change saw
                // it: it is retransformed to prev once loaded, also when the undo threw (this never
                // throws), or it kept next's hooks until the next change.
                Suppressed.add(undo, followInFlight(prev));
                throw undo;
            }
            Throwable followUp = followInFlight(prev); // as above, after an undo that succeeded
            if (e instanceof VirtualMachineError) {
                Suppressed.add(e, followUp);
                throw (VirtualMachineError) e; // a shortage, as the caller reports it (OUT_OF_MEMORY), not the JVM's refusal
            }
            HookFailure failure = e instanceof HookFailure ? (HookFailure) e
                    : new HookFailure(refusedRetransformation(classes, e), e);
            Suppressed.add(failure, followUp); // logged already; the refusal is what the caller reports
            throw failure;
        }
        try {
            // A site that found no stack or memory keeps its targets and is queued, and the shortage is
            // thrown: the registry puts the previous table back (switchTo) or retries (a transition's end).
            dispatch.relink(new RouteChanged(prev, next));
        } catch (IllegalStateException e) {
            // A site that ran a patch failed to link otherwise (Dispatch.relink): it keeps that version,
            // so the change is undone whole, as for a refused retransformation, and refused (an
            // operation) or tried again (a transition's end): the method runs what status says.
            unlinked(prev, next, classes, e);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            // The hooks next removed are gone from their classes either way, and a retry of the same
            // table removes none: their sites go now, or they keep their replacements for the class's life
            // (what this cannot forget, finishUndo does). The relink's shortage is what the caller reports.
            try {
                forgetRemoved(classes, prev, next);
            } catch (RuntimeException | Error again) {
                Suppressed.add(e, again);
            }
            throw e;
        }
        forgetRemoved(classes, prev, next);
        followInFlight(next); // what fails there is logged: the change is done
    }

    /**
     * Undoes a change whose relink failed at a site that runs a patch ({@code failed}, from
     * Dispatch.relink), and says so. The classes go back to {@code prev}'s hooks and every site is
     * relinked to it; a site that fails again there keeps its targets, the version it ran.
     */
    private void unlinked(LinkTable prev, LinkTable next, List<Class<?>> classes, IllegalStateException failed)
            throws HookFailure {
        try {
            rollback(prev, next, classes);
        } catch (VirtualMachineError again) {
            Suppressed.add(failed, again); // the shortage's site stays queued (Dispatch.relink): the refusal stands
        }
        followInFlight(prev);
        // A failure that persists refuses every change that relinks the method (PersistentRelinkFailureTest):
        // a cumulative patch needs only the version that runs and its own, so it is a way out unless the
        // version that runs is the one that fails, which every transition of the method needs.
        throw new HookFailure(failed.getMessage() + ": the method keeps running the version it ran; try again; if"
                + " it fails the same way again, a version of this method cannot be linked for good and no change of"
                + " this method's patches can be made: when it is not the version that runs, a cumulative patch"
                + " (Livepatch-Replace: true) takes every patch off in one transition; when that is refused the same"
                + " way, only a restart of the JVM takes them off (the JVM's log has the stack trace)",
                failed.getCause());
    }

    /** Tests: run by a change's look at the definitions in flight, when there are some (a look that throws). */
    static volatile Runnable beforeFollowInFlightForTests;

    /**
     * Sees the definitions still in flight through (InFlight): those loaded now are retransformed to
     * {@code next} (the table now: the change's, or the one its failure restored) if they need it, and
     * a thread of jlivepatch's looks again for the others. The change is done (or refused) whatever
     * happens here, out of memory or stack included: thrown on, a failure here would replace a refusal
     * with itself, and have the caller undo a change that succeeded (PatchRegistry.switchTo puts the
     * previous table back on anything but a HookFailure). It is logged, and the thread or the next
     * change looks again.
     *
     * @return what failed, logged already, or {@code null}
     */
    private Throwable followInFlight(LinkTable next) {
        try {
            InFlight f = ledger.inFlight();
            if (f == null || f.isEmpty()) {
                return null; // nothing recorded: InFlightFollowUp stays unloaded (FootprintIT)
            }
            Runnable test = beforeFollowInFlightForTests;
            if (test != null) {
                test.run();
            }
            if (inFlight == null) {
                inFlight = new InFlightFollowUp(this, lifecycle);
            }
            if (inFlight.settle(next)) {
                inFlight.ensureRunning();
            }
            return null;
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            try {
                Log.get().log(System.Logger.Level.ERROR, "following the class definitions in flight failed (the"
                        + " change itself is done or refused as said; they are looked at again by the next change)", e);
            } catch (RuntimeException | LinkageError | VirtualMachineError again) {
                // The logger never throws and the message is a constant, but this is the caller's stack, at any
                // depth: out of stack in the look, the call to log may be too. The caller has it all the same.
            }
            return e;
        }
    }

    /**
     * Why the JVM refused to retransform {@code classes}. jlivepatch's prologue adds no member and
     * changes no signature, so a refusal for the class's shape ("attempted to add a method", "...
     * change the schema") comes from another agent's transformer running on the same retransformation.
     */
    private static String refusedRetransformation(List<Class<?>> classes, Throwable e) {
        String jvm = String.valueOf(e.getMessage());
        // Each name once: one class copied into many loaders (a webapp's, redeployed) is one name.
        java.util.Set<String> distinct = new java.util.LinkedHashSet<>();
        for (Class<?> c : classes) {
            distinct.add(c.getName());
        }
        String names = String.join(", ", distinct);
        if (!(e instanceof UnsupportedOperationException) || !jvm.contains("attempted to")) {
            // A VerifyError or ClassFormatError often has no message: the classes say where to look.
            return "the JVM refused the instrumented classes " + names + ": " + e + "; the class files of that"
                    + " retransformation are jlivepatch's hooks and whatever another agent's transformer changed on it:"
                    + " if one transforms these classes, have it leave them alone (README: 'Other agents'), else report"
                    + " this with the log";
        }
        return "the JVM refused to retransform " + names + " (" + jvm + "): jlivepatch's hook adds no method or"
                + " field, so another agent's transformer changes the class's shape when it is retransformed, which"
                + " the JVM does not allow; nothing was changed: patch a method of another class, or have that"
                + " agent leave this class alone (README: 'Other agents')";
    }

    /**
     * Puts back what the ledger said of the classes of {@code recorded} before a retransformation the JVM
     * refused (the transformer recorded the hooks of the class files the JVM then did not take): the
     * records of the bytes they hold, made from {@code madeFrom}. When that fails, they are kept for
     * {@link #finishUndo}, and the failure is thrown.
     */
    private void restoreLedger(Map<Class<?>, ClassHooks> recorded, LinkTable madeFrom) {
        // First: no allocation, and a restore cut anywhere below is done again whole (each put is idempotent).
        unrestored = recorded;
        unrestoredFrom = madeFrom;
        Error injected = ledgerRestoreFailureForTests;
        if (injected != null) {
            ledgerRestoreFailureForTests = null;
            throw injected;
        }
        for (Map.Entry<Class<?>, ClassHooks> r : recorded.entrySet()) { // a loop: a lambda is a class more
            Class<?> c = r.getKey();
            ledger.put(c.getClassLoader(), c.getName(), r.getValue(), madeFrom);
        }
        unrestored = null;
        unrestoredFrom = null;
    }

    /**
     * What a change, or its undo, left undone because it failed there (no memory or stack for a record,
     * for a site's removal), done by {@link #finishUndo}: the registry's lock guards them, as {@link #apply}.
     * Each is one set, the last failure's: the next change (or the registry, right after the failure) does
     * it before anything else, so an earlier one is done by then, unless it failed again and the change
     * then failed there too, whose set replaces it (an earlier site then stays, as every site did before;
     * an earlier record, as the refused pass left it).
     * <ul>
     *   <li>{@code unrestored}: the ledger's records to put back ({@link #restoreLedger}), made from
     *       {@code unrestoredFrom}: the records of the bytes the classes hold, which a refused
     *       retransformation's pass replaced. A change that goes on though {@link #finishUndo} failed
     *       again reads them instead of the ledger's for its classes, and a pass of its that the JVM takes
     *       drops its classes' ({@link #superseded}): the transformer's records of that pass are true;</li>
     *   <li>{@code unforgotten}: classes whose sites of hooks {@code unforgottenFrom} had and the table
     *       now does not were not all forgotten ({@link #forgetRemoved}): their hooks are gone from
     *       their classes, and the sites would keep their replacements, and status's linked methods,
     *       for the class's life.</li>
     * </ul>
     */
    private Map<Class<?>, ClassHooks> unrestored;
    private LinkTable unrestoredFrom;
    private List<Class<?>> unforgotten;
    private LinkTable unforgottenFrom;

    /**
     * Does what a change or its undo left undone ({@link #unrestored}, {@link #unforgotten}), before the
     * next change, or right after the failure: an error there (no memory, no stack) has passed by then
     * more often than not, once the failing change's frames and garbage are gone. Called by
     * {@link #apply} first, and by the registry after a change it refused left the table as it was
     * (PatchRegistry.switchTo: it has nothing to apply again). Caller holds the registry's lock.
     *
     * @return what failed again (left for the next change), or {@code null}; never throws
     */
    public Throwable finishUndo() {
        Throwable failed = null;
        Map<Class<?>, ClassHooks> records = unrestored;
        if (records != null) {
            try {
                restoreLedger(records, unrestoredFrom);
            } catch (RuntimeException | Error e) {
                failed = e; // kept (restoreLedger): the next change tries again
            }
        }
        List<Class<?>> classes = unforgotten;
        if (classes != null) {
            try {
                forgetRemoved(classes, unforgottenFrom, table); // what the table now hooks is kept
            } catch (RuntimeException | Error e) {
                if (failed == null) {
                    failed = e;
                } else {
                    Suppressed.add(failed, e);
                }
            }
        }
        return failed;
    }

    /**
     * Thrown once by the next {@link #restoreLedger} before it puts anything back, then cleared: no memory
     * or stack for a record there, which no test can make happen at that step. Tests only.
     */
    static volatile Error ledgerRestoreFailureForTests;

    private void rollback(LinkTable prev, LinkTable next, List<Class<?>> classes) {
        // First, before anything here can throw: whatever the undo meets, prev is the table a retry starts
        // from and the one classes defined from now on are hooked by. Pairs, as apply's publications, with
        // the volatile reads of HookTransformer.transform (the undo's own passes read it) and ReplacementLinker.apply.
        table = prev;
        // The records of the bytes the classes hold now, next's: the undo's pass replaces them before the JVM
        // takes (or refuses) its class files. Null when they cannot be read (no memory): then a refusal below
        // leaves prev's records for next's hooks, as before.
        Map<Class<?>, ClassHooks> held = recordsOf(classes);
        try {
            retransform(classes);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            // A shortage too (no metaspace for the classes' old versions): the classes keep the hooks of next,
            // which prev no longer routes (their sites link to the original), and the relink and the forgetting
            // below must still run, or the sites would stay linked to next's patches for a table that is prev.
            // The ledger says so: what a later change retransforms, and what status reads, follow it.
            if (held != null) {
                try {
                    restoreLedger(held, next);
                } catch (RuntimeException | Error again) {
                    Suppressed.add(e, again); // kept for finishUndo (restoreLedger)
                }
            }
            logQuietly("restoring the classes after a failed retransformation failed too; they keep the hooks of"
                    + " the failed change, whose sites link to what the patches before it route", e);
        }
        try {
            relinkAllBack();
        } catch (RuntimeException | Error relink) {
            try {
                forgetRemoved(classes, next, prev);
            } catch (RuntimeException | Error again) {
                Suppressed.add(relink, again); // what it left is kept for finishUndo (forgetRemoved)
            }
            throw relink;
        }
        forgetRemoved(classes, next, prev);
    }

    /** The ledger's records of {@code classes} now, or {@code null} when they cannot be read. */
    private Map<Class<?>, ClassHooks> recordsOf(List<Class<?>> classes) {
        try {
            Map<Class<?>, ClassHooks> records = new HashMap<>();
            for (Class<?> c : classes) {
                records.put(c, ledger.get(c.getClassLoader(), c.getName()));
            }
            return records;
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            return null;
        }
    }

    /** Logs an ERROR line on an undo's path, where no memory or stack may be left for it: then not at all. */
    private static void logQuietly(String message, Throwable e) {
        try {
            Log.get().log(System.Logger.Level.ERROR, message, e);
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // no memory for the line: the caller goes on
        }
    }

    /**
     * Relinks every site to the table put back after a failed change. A site that runs a patch and
     * fails to link again keeps the version it ran (Dispatch.relink): logged, not thrown, so that the
     * change's own refusal is what its caller reports. A shortage is thrown, as before.
     */
    private void relinkAllBack() {
        try {
            dispatch.relinkAll();
        } catch (IllegalStateException e) {
            Log.get().log(System.Logger.Level.ERROR, "relinking the hooks to the previous patches after a failed"
                    + " change failed too; a hook that could not be relinked keeps the version it ran", e);
        }
    }

    /**
     * Forgets the sites of the hooks {@code from} had in {@code classes} and {@code to} does not. Each is
     * tried whatever an earlier one met; when one fails (no memory or stack), the classes are kept for
     * {@link #finishUndo}, and the first failure is thrown, the others suppressed on it.
     */
    private void forgetRemoved(List<Class<?>> classes, LinkTable from, LinkTable to) {
        Throwable first = null;
        for (Class<?> c : classes) {
            Set<String> kept;
            Set<String> had;
            try {
                kept = to.hookKeys(c.getName());
                had = from.hookKeys(c.getName());
            } catch (RuntimeException | Error e) {
                first = forgetFailed(first, e, classes, from);
                continue;
            }
            for (String key : had) {
                if (!kept.contains(key)) {
                    try {
                        forget(c, key);
                    } catch (RuntimeException | Error e) {
                        first = forgetFailed(first, e, classes, from);
                    }
                }
            }
        }
        if (first == null) {
            if (unforgotten == classes) {
                unforgotten = null; // done by finishUndo
                unforgottenFrom = null;
            }
            return;
        }
        if (first instanceof RuntimeException) {
            throw (RuntimeException) first;
        }
        throw (Error) first;
    }

    /** Keeps what {@link #forgetRemoved} left for {@link #finishUndo}; the failure it throws, with {@code e}. */
    private Throwable forgetFailed(Throwable first, Throwable e, List<Class<?>> classes, LinkTable from) {
        // No allocation: every class of the list goes again (forgetting a forgotten site does nothing).
        unforgotten = classes;
        unforgottenFrom = from;
        if (first == null) {
            return e;
        }
        Suppressed.add(first, e);
        return first;
    }

    private void forget(Class<?> c, String key) {
        Error injected = forgetFailureForTests;
        if (injected != null) {
            forgetFailureForTests = null;
            throw injected;
        }
        dispatch.forget(c, key);
    }

    /**
     * Thrown once by the next forget of a removed hook's site instead of it, then cleared: no memory or
     * stack for Dispatch's work there, which no test can make happen at that step. Tests only.
     */
    static volatile Error forgetFailureForTests;

    /**
     * A class whose definition read the previous table but finished only after the scan above
     * would keep the previous hooks: look again once, and retransform what does not match
     * {@code next}. Classes defined after the publication of {@code next} were hooked by it already.
     * A definition of a watched class (a registered patch's target) is recorded ({@link InFlight}):
     * while one that read an older table is recorded, the look is never skipped, and one not loaded
     * even now is followed after this change ({@link #followInFlight}). A definition that passed the
     * transformer before its class was watched (before the first patch naming it was registered) is
     * recorded by that watch when it was the last of its bucket of names ({@link HookLedger#watch});
     * only for one hidden by another definition of its bucket does the older rule still decide, which
     * skips the look when no such definition passed from as long before the scan as has gone by since.
     */
    private void retransformLateComers(Set<String> names, List<Class<?>> classes, LinkTable next, long scannedAt) {
        InFlight f = ledger.inFlight();
        if (names.isEmpty() || ledger.quietBetween(scannedAt, System.nanoTime(), names)
                && (f == null || !f.awaits(names, next))) {
            return;
        }
        Set<Class<?>> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        seen.addAll(classes);
        List<Class<?>> late = new ArrayList<>();
        for (List<Class<?>> sameName : LoadedClasses.named(instrumentation, names).values()) {
            for (Class<?> c : sameName) {
                if (seen.add(c) && !ledger.get(c.getClassLoader(), c.getName()).hooked()
                        .equals(next.hookKeys(c.getName()))) {
                    late.add(c);
                }
            }
        }
        if (!late.isEmpty()) {
            classes.addAll(late);
            retransform(late);
        }
    }

    private void retransform(List<Class<?>> classes) {
        if (classes.isEmpty()) {
            return;
        }
        try {
            instrumentation.retransformClasses(classes.toArray(new Class<?>[0]));
            superseded(classes);
        } catch (UnmodifiableClassException e) {
            throw new IllegalStateException("a class cannot be modified: " + e.getMessage(), e);
        } catch (RuntimeException | LinkageError e) {
            Error instead = retransformRefusalForTests;
            if (instead != null) {
                retransformRefusalForTests = null;
                instead.initCause(e);
                throw instead;
            }
            throw e;
        }
    }

    /**
     * The JVM took a pass over {@code classes}: the transformer recorded the hooks of the bytes they hold
     * now, and a record left over for one of them ({@link #unrestored}) said what it held before: put back
     * later by {@link #finishUndo}, it would replace the true one (a change that went on after finishUndo
     * failed again, and hooked the class: RetransformShortageTest). Never throws: thrown from
     * {@link #retransform}, it would say the JVM took none of the pass.
     */
    private void superseded(List<Class<?>> classes) {
        Map<Class<?>, ClassHooks> left = unrestored;
        if (left == null) {
            return;
        }
        try {
            left.keySet().removeAll(classes);
        } catch (RuntimeException | Error e) {
            left.clear(); // no memory for the iterator: the others stay as the refused pass left them, never stale
        }
        if (left.isEmpty()) {
            unrestored = null;
            unrestoredFrom = null;
        }
    }

    /**
     * Thrown once instead of the JVM's next refusal of a retransformation, then cleared; tests. A refusal
     * comes after the transformers ran, and changed no class: as the JVM's own OutOfMemoryError (metaspace,
     * for the classes' new versions) does, which no test can make happen at a chosen retransformation.
     */
    static volatile Error retransformRefusalForTests;

    /** The first method that {@code next} wants hooked in one of {@code classes} but is not, or null. */
    private String unhooked(List<Class<?>> classes, LinkTable prev, LinkTable next, Map<Class<?>, ClassHooks> recorded) {
        for (Class<?> c : classes) {
            ClassHooks h = ledger.get(c.getClassLoader(), c.getName());
            ClassHooks before = recorded.getOrDefault(c, ClassHooks.NONE);
            for (String key : next.hookKeys(c.getName())) {
                if (!h.hooked().contains(key)) {
                    if (prev.hookKeys(c.getName()).contains(key) && before.failures().containsKey(key)) {
                        // Failed in this class before this change (a copy defined later that an enabled
                        // patch does not fit: FAILED in status, audited): not this change's failure, so
                        // it does not refuse another patch of the same class (found by BundleLoadersTest).
                        continue;
                    }
                    String why = h.failures().getOrDefault(key, "the transformer did not run for this class");
                    return "cannot hook " + c.getName() + "." + key + " in class loader "
                            + LoaderNames.of(c.getClassLoader()) + ": " + why;
                }
            }
        }
        return null;
    }
}
