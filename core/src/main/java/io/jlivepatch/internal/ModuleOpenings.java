package io.jlivepatch.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * The packages jlivepatch opened to its own module through the Instrumentation, to patch a class
 * of a module it is not part of (the JDK's trusted lookup, a JDK class a patch is a nestmate of).
 * A module can be opened, never closed again, and with {@code -javaagent} jlivepatch's module is
 * the class path's: every class on it may reflect into such a package from then on. So each
 * opening is logged, kept for {@code status}, and audited by the registry with the next operation
 * it reports ({@link #takeUnaudited}): the one that caused it, unless an opening made on another
 * thread (a class loader defining a patched class later, a concurrent load) comes between.
 */
public final class ModuleOpenings {

    // Guarded by the class: openings are rare (at most one per package for the JVM's life).
    private static final List<String> ALL = new ArrayList<>();
    private static final List<String> UNAUDITED = new ArrayList<>();
    /**
     * The thread that audits an opening made outside any operation (a class loader defining a
     * patched class later); it leaves those made inside one to that operation (it takes them only
     * when no operation holds the registry's lock). Set once, when the registry's link-failure audit
     * starts; volatile for the openers.
     */
    private static volatile Thread auditor;
    /** Whether UNAUDITED may hold something: a volatile read, for the auditor's look without a mark. */
    private static volatile boolean pending;

    private ModuleOpenings() {
    }

    /** Records that {@code module} now opens {@code pkg} to {@code to}, for {@code why}. */
    public static void opened(Module module, String pkg, Module to, String why) {
        String what = module.getName() + "/" + pkg + " to " + to + " (" + why + ", " + java.time.Instant.now() + ")";
        synchronized (ModuleOpenings.class) {
            ALL.add(what);
            UNAUDITED.add(what);
            pending = true;
        }
        Log.get().log(Level.WARNING, "opened " + what + ": for the rest of this JVM's life, code of " + to
                + " may reach that package's private members by reflection");
        Thread a = auditor;
        if (a != null) {
            java.util.concurrent.locks.LockSupport.unpark(a); // pairs with the auditor's look after its park
        }
    }

    /**
     * Called by the holders of the registry's lock that report no operation (the in-flight follow-up,
     * a late class's callbacks) right after they let it go: an opening made meanwhile found the lock
     * held and was left for its holder, which will not audit it. Unpark after the unlock pairs with
     * the auditor's tryLock after its park.
     */
    public static void wakeAuditorIfPending() {
        Thread a = auditor;
        if (pending && a != null) {
            java.util.concurrent.locks.LockSupport.unpark(a);
        }
    }

    /** Has {@code thread} audit the openings made outside operations. */
    public static void auditedBy(Thread thread) {
        auditor = thread;
    }

    /** Every opening so far, oldest first. */
    public static synchronized List<String> all() {
        return List.copyOf(ALL);
    }

    /** The openings not audited yet, which the caller audits now. */
    public static synchronized List<String> takeUnaudited() {
        if (UNAUDITED.isEmpty()) {
            return List.of();
        }
        List<String> taken = List.copyOf(UNAUDITED);
        UNAUDITED.clear();
        pending = false;
        return taken;
    }

    /** Whether an opening may be waiting for its audit (no lock, nothing a patch could replace). */
    public static boolean pending() {
        return pending;
    }
}
