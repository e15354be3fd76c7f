package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.Text;

import java.util.Iterator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The static initialization of one patch class, run by the first call that would run one of its
 * replacements, never before (loading or enabling a patch runs none of its code). A class whose
 * initializer throws leaves its methods on their own code: the hook's guard asks {@link #ready()}
 * first, and a failure sends that call, and every later one, to the original method instead of
 * to an {@code ExceptionInInitializerError}. An initializer that blocks blocks the calling thread,
 * as the JVM's own initialization would; nothing of jlivepatch waits for it.
 */
public final class ClassInit implements Function<Stream<StackWalker.StackFrame>, Boolean> {

    /** How the class is initialized: {@code Class.forName(..., true, ...)} or its lookup's {@code ensureInitialized}. */
    @FunctionalInterface
    public interface Initializer {
        void initialize(Class<?> c) throws ReflectiveOperationException;
    }

    private static final int PENDING = 0;
    private static final int DONE = 1;
    private static final int FAILED = 2;

    private final Class<?> patchClass;
    /** {@code null}: by its name and loader (see {@link #byName}). */
    private final Initializer initializer;
    /** Written once by the first caller to finish the initialization; read by every guard. */
    private volatile int state = PENDING;
    private volatile String failure;
    /** Claimed once, by whoever reports the outcome (the linker relinks then). */
    private final AtomicBoolean reported = new AtomicBoolean();

    public ClassInit(Class<?> patchClass, Initializer initializer) {
        this.patchClass = patchClass;
        this.initializer = java.util.Objects.requireNonNull(initializer);
    }

    private ClassInit(Class<?> patchClass) {
        this.patchClass = patchClass;
        this.initializer = null;
    }

    /**
     * The initialization of a class by {@code Class.forName(name, true, loader)}. Not an {@link Initializer}
     * lambda: a lambda's first use spins a class through java.lang.invoke, milliseconds in the cold JVM of
     * a start-up's first patched call (BENCHMARKS.md, section 4, session 31).
     */
    public static ClassInit byName(Class<?> patchClass) {
        return new ClassInit(patchClass);
    }

    /**
     * Initializes the class if nobody has; true when it is initialized. The JVM serializes the
     * initialization itself: concurrent first callers wait for the one that runs it, as for any class.
     */
    public boolean ready() {
        int s = state;
        if (s != PENDING) {
            return s == DONE;
        }
        try {
            initialize();
        } catch (VirtualMachineError e) {
            // Out of stack or memory, in the initializer or before it ran (a deep caller): the call runs
            // the version below, and the next call tries again. A class whose initializer did fail
            // answers that with NoClassDefFoundError (carrying this error), which settles it below.
            return false;
        } catch (Throwable e) {
            // Every other Throwable: an Error an initializer throws (AssertionError, InternalError)
            // reaches the caller unwrapped, not as an ExceptionInInitializerError, and the class is as
            // failed as after any other; the application's call must run the version below all the same.
            failed(e);
            state = FAILED;
            return false;
        }
        if (initializingHere()) {
            // The JVM let this thread back into a class it is initializing (its initializer, or code
            // it runs, reached a hook of this class's versions): the initializer has not finished and
            // may still fail. Not ready for this call; the outcome is the initializer's.
            return false;
        }
        state = DONE;
        return true;
    }

    /**
     * Whether this thread is inside the patch class's static initializer. Asked only while the
     * initialization is pending (the first calls), so the walk costs nothing later; marked, as every
     * walk of jlivepatch's on an application thread (RecursionGuard), so that the hooks it meets run
     * the original methods.
     */
    private boolean initializingHere() {
        int mark = RecursionGuard.enter();
        try {
            return io.jlivepatch.internal.ClassWalker.get().walk(this);
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /**
     * Runs the initializer, on the application's thread (the first call): under a SecurityManager
     * with jlivepatch's own permissions for what it asks (the patch class's loader), so that an
     * application without them still gets the patch; the initializer's own code keeps its class's.
     */
    @SuppressWarnings("removal") // AccessController: only while a SecurityManager is set
    private void initialize() throws ReflectiveOperationException {
        if (System.getSecurityManager() == null) {
            runInitializer();
            return;
        }
        try {
            java.security.AccessController.doPrivileged(new java.security.PrivilegedExceptionAction<Void>() {
                @Override
                public Void run() throws ReflectiveOperationException {
                    runInitializer();
                    return null;
                }
            });
        } catch (java.security.PrivilegedActionException e) {
            throw (ReflectiveOperationException) e.getException(); // the only checked exception run throws
        }
    }

    private void runInitializer() throws ReflectiveOperationException {
        if (initializer == null) {
            Class.forName(patchClass.getName(), true, patchClass.getClassLoader());
        } else {
            initializer.initialize(patchClass);
        }
    }

    /**
     * The walk of {@link #initializingHere}: whether a frame is the patch class's initializer. This
     * class is the walk's function, not a lambda, so that a first patch loads no class more for it
     * (FootprintIT).
     */
    @Override
    public Boolean apply(Stream<StackWalker.StackFrame> frames) {
        for (Iterator<StackWalker.StackFrame> i = frames.iterator(); i.hasNext(); ) {
            StackWalker.StackFrame f = i.next();
            if (f.getDeclaringClass() == patchClass && f.getMethodName().equals("<clinit>")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Records why, the initializer's own exception first: a caller that waited for the initializing
     * thread gets only {@code NoClassDefFoundError: Could not initialize class}, which must not hide
     * the cause whichever of the two finishes last (since JDK 17 it carries the first error as its
     * cause, as text).
     */
    private synchronized void failed(Throwable e) {
        // The initializer's own: wrapped, or an Error it threw, which the JVM passes on unwrapped
        // (a LinkageError may also be a waiter's NoClassDefFoundError, below).
        boolean wrapped = e instanceof ExceptionInInitializerError;
        boolean own = wrapped || e instanceof Error && !(e instanceof LinkageError);
        Throwable cause = wrapped && e.getCause() != null ? e.getCause() : e;
        if (!own && e instanceof NoClassDefFoundError && e.getCause() instanceof ExceptionInInitializerError) {
            cause = e.getCause(); // "Exception java.lang.IllegalStateException: boom [in thread "t"]"
        }
        if (failure == null || own) {
            failure = "the patch class " + patchClass.getName() + " failed to initialize (" + Text.of(cause) + ")";
        }
    }


    boolean isDone() {
        return state == DONE;
    }

    /**
     * Why the initializer failed, once it has (for good: the JVM never runs a failed class's initializer
     * again), else {@code null}: for status, which must say so from then on, also before the next call
     * (a patch enabled again after its class failed).
     */
    public String failedWith() {
        return state == FAILED ? failure : null;
    }

    /** Why the initialization failed, or {@code null}. */
    String failure() {
        return failure;
    }

    boolean settled() {
        return state != PENDING;
    }

    /** True once, for the first caller after the outcome is known. */
    boolean claimReport() {
        return settled() && reported.compareAndSet(false, true);
    }
}
