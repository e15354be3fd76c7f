package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.Log;

import java.lang.instrument.UnmodifiableClassException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;

/**
 * Sees the definitions in flight ({@link InFlight}) through: once such a class is loaded, it is
 * retransformed if its hooks are not those of the current table, and its record goes. Run by
 * {@link HookManager#apply} at the end of each change, and, while records remain, by a thread of
 * its own that looks again (1 ms, then twice as long each time, up to a second), under the
 * registry's lock like every change of hooks, so that no operation publishes a table between its
 * look and its retransformation. Nothing here waits for a definition: the defining thread never
 * takes that lock, and an operation never waits for this thread. Each retransformation changes a running
 * class's code: the ledger's reader logs and audits it per patch, as a class defined later
 * ({@link HookLedger#applied}).
 */
final class InFlightFollowUp {

    /**
     * How long a record is kept. A definition that failed after jlivepatch's transformer (another
     * transformer's bytes the JVM refused, a duplicate definition) is never seen loaded, and must not
     * keep this thread, or every operation's late-comer scan, going for ever. A definition held
     * longer than this (a thread stopped in a debugger) keeps the hooks of the table it read: the
     * warning says so and what to do. Tests may lower it.
     */
    static volatile long giveUpAfterNanos = TimeUnit.MINUTES.toNanos(10);

    /** Tests: run by the thread before each of its looks (a look that throws). */
    static volatile Runnable beforeLookForTests;

    /** Tests: run by the thread after each look, its lock let go (a step outside the look that throws). */
    static volatile Runnable afterLookForTests;

    private static final long FIRST_PAUSE = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long LONGEST_PAUSE = TimeUnit.SECONDS.toNanos(1);

    private final HookManager hooks;
    private final HookLedger ledger;
    /**
     * The registry's lock (klpMutex), which every change of hooks holds (HookManager.apply's callers).
     * Null only for a HookManager without a registry (tests of its parts): then the thread's passes
     * are serialized with nothing but each other.
     */
    private final Lock lifecycle;
    /** Serializes the thread's passes when there is no {@link #lifecycle} lock. */
    private final Lock own = new java.util.concurrent.locks.ReentrantLock();
    /**
     * Whether the thread runs (or is starting). compareAndSet on both sides: the thread sets it false
     * only after a pass that left no record, then looks again, so that a record made meanwhile by a
     * change that found it running is never left without a thread.
     */
    private final AtomicBoolean running = new AtomicBoolean();

    InFlightFollowUp(HookManager hooks, Lock lifecycle) {
        this.hooks = hooks;
        this.ledger = hooks.ledger();
        this.lifecycle = lifecycle;
    }

    /**
     * One look. Caller holds the registry's lock (or is the thread, which takes it). Every record whose
     * class is loaded now goes, after a retransformation if the ledger does not show the hooks
     * {@code current} wants; a record of a collected loader, or older than its bound, goes too.
     *
     * @return whether records remain
     */
    boolean settle(LinkTable current) {
        InFlight f = ledger.inFlight();
        if (f == null || f.isEmpty()) {
            return false;
        }
        if (f.overflowedSinceAsked()) {
            Log.get().log(System.Logger.Level.WARNING, "more than " + InFlight.MAX + " definitions of patched"
                    + " classes were in flight at once: those beyond were not followed, and one that a later change"
                    + " of hooks could not see yet keeps the hooks its definition read");
        }
        List<InFlight.Definition> records = f.all();
        Set<String> names = new HashSet<>();
        for (InFlight.Definition d : records) {
            names.add(d.name);
        }
        Map<String, List<Class<?>>> loaded = LoadedClasses.named(hooks.instrumentation(), names);
        // Each stale class with the patches its hooks were made for (its definition's table, the hooks it has)
        Map<Class<?>, List<Object>> stale = new IdentityHashMap<>();
        List<InFlight.Definition> seen = new ArrayList<>();
        long now = System.nanoTime();
        for (InFlight.Definition d : records) {
            Class<?> c = find(d, loaded.getOrDefault(d.name, List.of()));
            if (c != null) {
                Set<String> had = ledger.get(c.getClassLoader(), c.getName()).hooked();
                if (!had.equals(current.hookKeys(c.getName()))) {
                    stale.put(c, patchesOf(d.madeFrom, c.getName(), had));
                }
                seen.add(d); // removed once retransformed: no record means hooked as current wants
            } else if (d.gone()) {
                f.remove(d);
            } else if (expired(d, now)) {
                giveUp(f, d, now, "was never seen loaded: it failed after it (another agent's transformer, the"
                        + " JVM's checks), or it is held still");
            }
        }
        if (!stale.isEmpty()) {
            List<Class<?>> classes = new ArrayList<>(stale.keySet());
            try {
                hooks.instrumentation().retransformClasses(classes.toArray(new Class<?>[0]));
                for (Class<?> c : classes) {
                    rehooked(c, stale.get(c), current);
                }
            } catch (UnmodifiableClassException | RuntimeException | LinkageError e) {
                Log.get().log(System.Logger.Level.ERROR, "retransforming " + classes + ", whose definition was in"
                        + " flight during a change of hooks, failed: status shows what they run", e);
            }
        }
        for (InFlight.Definition d : seen) {
            f.remove(d);
        }
        return !f.isEmpty();
    }

    /**
     * Class {@code c}, whose definition read an older table, is hooked as {@code current} wants: the
     * patches whose hooks it got are applied to it, those whose hooks it lost reverted on it (the
     * kernel's {@code klp_module_coming} and {@code klp_module_going} lines), each logged and on record
     * by the ledger's reader, as a class defined later is ({@link HookLedger#applied}); when neither
     * changed, every patch it is hooked for, so that no re-hook goes without a line.
     */
    private void rehooked(Class<?> c, List<Object> before, LinkTable current) {
        try {
            rehooked0(c, before, current);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            // no memory for the record: the class is hooked all the same, and status shows what it runs
        }
    }

    private void rehooked0(Class<?> c, List<Object> before, LinkTable current) {
        List<Object> after = patchesOf(current, c.getName(), ledger.get(c.getClassLoader(), c.getName()).hooked());
        List<Object> applied = without(after, before);
        List<Object> reverted = without(before, after);
        ledger.applied(c.getClassLoader(), c.getName(), HookLedger.HOOKED_AGAIN,
                applied.isEmpty() && reverted.isEmpty() ? after : applied);
        ledger.applied(c.getClassLoader(), c.getName(), HookLedger.UNHOOKED, reverted);
    }

    /** The patches (their labels, one each) whose functions {@code table} routes through {@code keys} of the class. */
    private static List<Object> patchesOf(LinkTable table, String className, Set<String> keys) {
        List<Object> out = new ArrayList<>(2);
        for (String key : keys) {
            for (Object label : table.patchesOn(className, key)) {
                if (!out.contains(label)) {
                    out.add(label);
                }
            }
        }
        return out;
    }

    private static List<Object> without(List<Object> labels, List<Object> less) {
        List<Object> out = new ArrayList<>(labels);
        out.removeAll(less);
        return out;
    }

    /** Past its bound ({@link #giveUpAfterNanos}): one test for a look and for a failed one ({@link #giveUpExpired}). */
    private static boolean expired(InFlight.Definition d, long now) {
        return now - d.since > giveUpAfterNanos;
    }

    private static void giveUp(InFlight f, InFlight.Definition d, long now, String why) {
        f.remove(d);
        Log.get().log(System.Logger.Level.WARNING, "the definition of " + d.name + " in " + d.loaderName()
                + " passed jlivepatch's transformer " + TimeUnit.NANOSECONDS.toSeconds(now - d.since) + " s ago and "
                + why + "; no longer followed: if it is defined later, status shows what it runs (disable and"
                + " enable the patch again to hook it)");
    }

    /**
     * After a look that failed: gives the records past their bound up all the same, touching nothing
     * but the records (the failure may be anywhere else: the loaded classes' list, the ledger, the
     * log), so that a look that fails every time ends with the bound as one that never sees the class.
     *
     * @return whether records remain
     */
    private boolean giveUpExpired() {
        try {
            InFlight f = ledger.inFlight();
            if (f == null) {
                return false;
            }
            long now = System.nanoTime();
            for (InFlight.Definition d : f.all()) {
                if (expired(d, now)) {
                    giveUp(f, d, now, "could not be looked for (the follow-up's looks failed, see the error logged)");
                }
            }
            return !f.isEmpty();
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            return true; // looked at again after the next pause
        }
    }

    private static Class<?> find(InFlight.Definition d, List<Class<?>> sameName) {
        for (Class<?> c : sameName) {
            if (d.of(c)) {
                return c;
            }
        }
        return null;
    }

    /** Has the thread look again while records remain; caller holds the registry's lock. */
    void ensureRunning() {
        if (!running.compareAndSet(false, true)) {
            return; // the running thread looks again before it ends (see running)
        }
        try {
            new FollowUpThread(this).start();
        } catch (RuntimeException | Error e) {
            running.set(false);
            Log.get().log(System.Logger.Level.WARNING, "a thread to follow the definitions in flight could not"
                    + " start (" + e + "): the next change of hooks looks at them again");
        }
    }

    /**
     * The thread's loop: looks, pausing longer each time, until no record remains. Whatever ends it
     * by a throw outside a look (the lock, the recursion guard, the wake-up after the look: out of
     * memory or stack) ends it with {@link #running} cleared, or no thread would ever look again (a
     * change's {@link #ensureRunning} would find it set) and a class defined during a change would
     * keep the hooks its definition read for the JVM's life: the next change starts a thread again.
     */
    private void follow() {
        boolean holdsRunning = true; // set for this thread by ensureRunning (or its own compareAndSet in the loop)
        try {
            lookWhileRecordsRemain();
            holdsRunning = false; // it returns only once it let go of it
        } catch (Throwable e) {
            if (holdsRunning) {
                running.set(false); // first: nothing below may keep it set
            }
            try {
                Log.get().log(System.Logger.Level.ERROR, "following the definitions in flight stopped (" + e
                        + "); the next change of hooks looks at them again", e);
            } catch (Throwable again) {
                // The message is built here, from e's text (out of memory, or a toString of its own that
                // throws): the flag is what matters, and it is cleared.
            }
        }
    }

    /** {@link #follow}'s loop; it returns having let go of {@link #running}. */
    private void lookWhileRecordsRemain() {
        long pause = FIRST_PAUSE;
        int failedInARow = 0;
        boolean failureLogged = false; // in this run of failures
        while (true) {
            // Else the looks could come back to back, each taking the lock that every change of hooks
            // takes, until the records settle or reach their bound.
            io.jlivepatch.internal.OwnThread.clearApplicationInterrupt();
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, LONGEST_PAUSE);
            boolean more;
            Lock lock = lifecycle != null ? lifecycle : own;
            lock.lock(); // as every change of hooks: no table is published between the look and the retransformation
            int mark = RecursionGuard.enter(); // jlivepatch's own thread: never runs a replacement
            try {
                Runnable fail = beforeLookForTests;
                if (fail != null) {
                    fail.run();
                }
                more = settle(hooks.table()); // the table is only published under this lock
                if (failedInARow > 0) {
                    Log.get().log(System.Logger.Level.INFO, "following the definitions in flight works again, after "
                            + failedInARow + " failed look(s)");
                    failedInARow = 0;
                    failureLogged = false;
                }
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                // Out of memory or stack included: looked at again after the next pause, not thrown into
                // this thread's end, which would leave the records to the next change (follow).
                // Logged once per run of failures (a look a second would log one a second), and the
                // records' bound still applies, or a look that always fails would keep them for good.
                // Its first failure that is no VirtualMachineError (logging one would need what ran out),
                // else a run that began out of stack or memory would never be logged at all.
                failedInARow++;
                if (!failureLogged && !(e instanceof VirtualMachineError)) {
                    failureLogged = true;
                    // Unguarded: the logger never throws (CleanLogger), nor does Log.get() (Log.cleaned), the
                    // message is a constant (nothing allocated here), and this thread's stack is all but unused.
                    Log.get().log(System.Logger.Level.ERROR, "following the definitions in flight failed"
                            + " (looked at again each second; logged once until a look succeeds)", e);
                }
                more = giveUpExpired();
            } finally {
                RecursionGuard.exit(mark);
                lock.unlock();
                io.jlivepatch.internal.ModuleOpenings.wakeAuditorIfPending(); // this holder audits no opening
                Runnable after = afterLookForTests;
                if (after != null) {
                    after.run();
                }
            }
            if (!more) {
                running.set(false);
                InFlight f = ledger.inFlight();
                if (f == null || f.isEmpty() || !running.compareAndSet(false, true)) {
                    return; // none left, or another thread took over
                }
            }
        }
    }

    /** A class, not a lambda: the same count of classes at a first load as the other threads. */
    private static final class FollowUpThread extends io.jlivepatch.internal.OwnThread {
        private final InFlightFollowUp followUp;

        FollowUpThread(InFlightFollowUp followUp) {
            super(null, "jlivepatch-in-flight");
            this.followUp = followUp;
        }

        @Override
        public void run() {
            followUp.follow();
        }
    }
}
