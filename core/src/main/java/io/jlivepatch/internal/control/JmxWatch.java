package io.jlivepatch.internal.control;

import io.jlivepatch.internal.Suppressed;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.patch.RecursionGuard;
import javax.management.MBeanServerFactory;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs an action once the JVM has an MBean server, without creating one: creating the platform
 * MBean server defines some 500 JDK classes and takes about 3 MB of metaspace, more than the rest
 * of jlivepatch, which a JVM that nobody watches over JMX should not pay (issue 10).
 *
 * <p>Every MBean server, the platform one included, is made of {@code com.sun.jmx} classes, so
 * their definition is the signal: a transformer that never transforms sees them, and a thread of
 * its own (never the defining thread, which may hold class loading locks) asks
 * {@link MBeanServerFactory#findMBeanServer} whether a server exists now. The JDK's local JMX
 * connector (JConsole, {@code jlivepatch}) and any application or library that uses JMX create
 * one; so does whatever calls {@code ManagementFactory.getPlatformMBeanServer()}.
 *
 * <p>The platform server's creation may define no {@code com.sun.jmx} class at all: an application
 * that had made a private server ({@code MBeanServerFactory.newMBeanServer()}, which
 * {@code findMBeanServer} does not list) and registered the JVM's MXBeans in it had defined every one
 * it needs (JDK 17 and 25, {@code -Xlog:class+load}; {@code JmxWatchLateServerTest}). What that
 * creation always defines for the first time is the diagnostic command MBean's
 * ({@code com.sun.management.internal.DiagnosticCommandImpl}) description, built as it is registered,
 * after the server is listed (createMBeanServer comes first); no public API builds it otherwise. A runtime without {@code jdk.management} has no
 * such MBean, and there that sequence still goes unnoticed (README, "Known limits").
 */
public final class JmxWatch implements ClassFileTransformer, Runnable {

    /** Classes that mean an MBean server may exist now (see the class comment). */
    private static final String JMX_CLASSES = "com/sun/jmx/";
    private static final String PLATFORM_SERVER_CLASSES = "com/sun/management/internal/DiagnosticCommand";

    private final Instrumentation instrumentation;
    private final Runnable action;
    /** Set once a server was found; the transformer then only returns. */
    private final AtomicBoolean done = new AtomicBoolean();
    /** A look was asked for since the running look began (pairs with the getAndSet in run). */
    private final AtomicBoolean requested = new AtomicBoolean();
    /**
     * A looking thread exists; at most one at a time. Under this object's monitor, not an
     * AtomicBoolean: the reset after a failed start runs at the edge of the defining thread's stack,
     * where a call (AtomicBoolean.set) may overflow and leave it set, but a monitor and a field
     * write need no frame.
     */
    private boolean running;

    private JmxWatch(Instrumentation instrumentation, Runnable action) {
        this.instrumentation = instrumentation;
        this.action = action;
    }

    /**
     * Registers jlivepatch's MBeans ({@link JmxControl#install}) as soon as an MBean server exists, now
     * or later. Here rather than in JmxControl: loading JmxControl loads the JMX exceptions it
     * catches, a cost of every JVM's start-up with the agent, JMX or not (BENCHMARKS.md, section 4).
     * The MBeans wait for Livepatch.install to end, and are not registered if it failed
     * ({@link PatchRegistry#awaitInstalled}).
     *
     * @return the watch, for {@link #cancel} when the installation fails after it; {@code null} when
     *         this runtime has no JMX
     */
    public static JmxWatch installWhenJmxIsUp(PatchRegistry registry) {
        if (ModuleLayer.boot().findModule("java.management").isEmpty()) {
            // A jlink'ed runtime without JMX, or --limit-modules: no MBean server can ever exist, and
            // looking for one died in its thread with a NoClassDefFoundError on standard error
            // (hostile trial). The control socket serves the command; there are no MBeans to register.
            io.jlivepatch.internal.Log.get().log(System.Logger.Level.DEBUG, "no java.management module in this"
                    + " runtime: jlivepatch's MBeans are not registered (the jlivepatch command does not need them)");
            return null;
        }
        return whenJmxIsUp(registry.instrumentation(), new Installer(registry));
    }

    /**
     * Stops watching, for an installation that failed after it started: its transformer is removed;
     * a look under way may still run its action, which the installation's outcome stops
     * ({@link PatchRegistry#awaitInstalled}).
     */
    public void cancel() {
        done.set(true);
        instrumentation.removeTransformer(this);
    }

    /** {@link JmxControl#install} as a task; a class, not a lambda, so that no class is spun for it. */
    private static final class Installer implements Runnable {
        private final PatchRegistry registry;

        Installer(PatchRegistry registry) {
            this.registry = registry;
        }

        @Override
        public void run() {
            // Runs on a thread of jlivepatch's own: it never runs a replacement (RecursionGuard).
            // Before the mark: waiting marked would slow every hooked call of the JVM meanwhile.
            if (!registry.awaitInstalled()) {
                return; // the installation failed after it started this watch: its retry has a watch of its own
            }
            int mark = RecursionGuard.enterIfActive();
            try {
                JmxControl.install(registry);
            } finally {
                RecursionGuard.exit(mark);
            }
        }
    }

    /** Runs {@code action} from a daemon thread as soon as an MBean server exists, now or later. */
    static JmxWatch whenJmxIsUp(Instrumentation instrumentation, Runnable action) {
        JmxWatch watch = new JmxWatch(instrumentation, action);
        // The transformer first, the look second: a server created in between is found by the look,
        // one created after is signalled by its classes.
        instrumentation.addTransformer(watch, false);
        try {
            watch.request();
        } catch (Throwable e) {
            // No looking thread (request says so): the transformer alone would outlive the failed
            // installation, and its retry adds one of its own.
            try {
                watch.cancel();
            } catch (Throwable again) {
                // e may be the JVM's one shared OutOfMemoryError, and again that same one
                Suppressed.add(e, again);
            }
            throw e;
        }
        return watch;
    }

    /**
     * Never throws: the JDK would drop it without a word (TransformerManager catches every Throwable
     * of a transformer). A request that could not start its thread is made again by the next
     * {@code com.sun.jmx} or diagnostic command class; an MBean server's creation defines hundreds of
     * the first, the platform one's several of the second.
     */
    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> classBeingRedefined,
                            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        try {
            if (className != null && (className.startsWith(JMX_CLASSES)
                    || className.startsWith(PLATFORM_SERVER_CLASSES)) && !done.get()) {
                request();
            }
        } catch (Throwable t) {
            // the edge of the defining thread's stack, or no native thread: see request
        }
        return null;
    }

    private void request() {
        requested.set(true);
        // Before the claim: at the edge of the defining thread's stack, the catch below may not run at
        // all (a compiled caller deoptimized there needs more stack than it had), leaving running set
        // and jlivepatch's MBeans never registered. With StackRoom's room the start and its catch fit.
        if (!io.jlivepatch.internal.bootstrap.StackRoom.left()) {
            throw new StackOverflowError("no stack left to start jlivepatch's look for an MBean server; the next"
                    + " com.sun.jmx class defined starts it");
        }
        if (claim()) {
            try {
                Thread t = new Thread(this, "jlivepatch-jmx");
                t.setDaemon(true);
                t.start();
            } catch (RuntimeException | Error e) {
                // No looking thread after all (a com.sun.jmx class defined at the edge of its thread's
                // stack, no native thread): left set, running kept every later request from starting
                // one, and jlivepatch's MBeans were never registered. No call here: a monitor and a
                // field write fit where the thread's construction, deeper, did not (the
                // AtomicBoolean.set that was here overflowed at times: JmxWatchStackEdgeTest).
                synchronized (this) {
                    running = false;
                }
                throw e;
            }
        }
    }

    /**
     * Marks a looking thread as about to exist; false when one does. Its only call is its own entry:
     * an overflow there changes nothing.
     */
    private synchronized boolean claim() {
        if (running) {
            return false;
        }
        running = true;
        return true;
    }

    @Override
    public void run() {
        // jlivepatch's own thread: it never runs a replacement (RecursionGuard).
        int mark = RecursionGuard.enterIfActive();
        try {
            look();
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    private void look() {
        do {
            while (requested.getAndSet(false)) {
                if (!MBeanServerFactory.findMBeanServer(null).isEmpty()) {
                    if (!done.compareAndSet(false, true)) {
                        return; // cancelled (pairs with cancel's set): the failed installation's
                    }
                    instrumentation.removeTransformer(this);
                    action.run();
                    return;
                }
            }
            synchronized (this) {
                running = false;
            }
            // A request between the last look and running=false started no thread: this one looks again.
        } while (requested.get() && claim());
    }
}
