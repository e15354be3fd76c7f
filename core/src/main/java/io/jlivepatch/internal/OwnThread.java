package io.jlivepatch.internal;

/**
 * A thread of jlivepatch's own that lives as long as the JVM (the recursion guard's relaxer, the
 * transition worker, the link-failure audit, the control socket, the audit file's writer, the
 * watched directory): daemon, and inheriting nothing from the thread that makes it, which may be an
 * application's (a webapp's first patch, a JMX connection's): no inheritable thread-locals, which it
 * would keep reachable (a redeployed webapp's) for the JVM's life, and the system class loader as
 * its context class loader rather than the maker's (what JDK 21 and later give a thread that
 * inherits no thread-locals; patch code runs on some of these threads, a prePatch callback on a
 * control session's, and may read it). On JDK 17 a thread also keeps the access-control context of
 * the thread that constructs it, with the class loader of every protection domain on that stack: so
 * make one at installation, on jlivepatch's side, and start it when it is needed (an application
 * thread that calls {@code Livepatch.install} itself still has its frames on that stack: left).
 */
public class OwnThread extends Thread {

    /**
     * Whether a patch's code (a callback, the static initializer it brings up) ran on this thread,
     * which may have left on it what jlivepatch cannot take off: thread-locals (a patch class's
     * value keeps its class loader reachable after the patch is unloaded), an uncaught-exception
     * handler, a name. A thread that lives long retires after that (the watch's); set by the thread
     * itself, read by it.
     */
    private boolean ranPatchCode;

    /** A thread that runs {@code task}; subclasses pass {@code null} and override {@link #run}. */
    public OwnThread(Runnable task, String name) {
        super(null, task, name, 0, false);
        setDaemon(true);
        setContextClassLoader(ClassLoader.getSystemClassLoader());
    }

    /** Notes that patch code runs on the calling thread now, if it is one of jlivepatch's own. */
    public static void patchCodeRunsHere() {
        if (Thread.currentThread() instanceof OwnThread t) {
            t.ranPatchCode = true;
        }
    }

    /**
     * Clears an interrupt of the calling thread, one of jlivepatch's own, before it parks, waits or
     * blocks. Application code may interrupt every thread (some shutdown or watchdog code does); to
     * these threads, which only the JVM's end or a flag of their own stops, it means nothing, and left
     * set it would make every park return at once (a thread spinning on a core for the JVM's life, or
     * pauses that come back to back) and close an interruptible channel at its next use (the audit
     * file's line lost, the control socket closed). It clears the interrupt only: a park's permit given
     * meanwhile stays. Not for an interrupt that is someone else's to keep (what a patch callback left,
     * PatchCallbacks; a caller's while it waits for the audit file, AuditFile): those are saved and put back.
     *
     * @return whether an interrupt was set
     */
    public static boolean clearApplicationInterrupt() {
        return Thread.interrupted(); // whether one was set: what woke a wait, for a count of empty wake-ups
    }

    /** Whether patch code ran on this thread (ask on the thread itself). */
    public boolean ranPatchCode() {
        return ranPatchCode;
    }
}
