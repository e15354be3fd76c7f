package io.jlivepatch;

import io.jlivepatch.internal.BackgroundInstall;
import io.jlivepatch.internal.OwnBuild;
import io.jlivepatch.internal.Suppressed;
import io.jlivepatch.internal.control.ControlServer;
import io.jlivepatch.internal.control.JmxWatch;
import io.jlivepatch.internal.core.PatchRegistry;

import java.lang.instrument.Instrumentation;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The entry point: one per JVM, installed by the agent ({@code -javaagent} or attach) or by an
 * application that holds an {@link Instrumentation}.
 */
public final class Livepatch {

    // Guarded by Livepatch.class: install() is rare and must be idempotent under races.
    private static volatile Livepatch installed;

    private final PatchRegistry registry;

    private Livepatch(PatchRegistry registry) {
        this.registry = registry;
    }

    /**
     * Installs jlivepatch into this JVM, or returns the instance already installed.
     *
     * @throws IllegalStateException when the JVM cannot retransform classes with this instrumentation,
     *                               another copy of jlivepatch (another class loader) owns the JVM, or
     *                               jlivepatch's classes are another build's than its JAR's (a stale
     *                               class-data archive: {@code OwnBuild}), or the agent's own
     *                               installation, started before main, still runs after 10 s
     */
    public static Livepatch install(Instrumentation instrumentation) {
        Objects.requireNonNull(instrumentation, "instrumentation");
        Livepatch lp = installed;
        if (lp != null) {
            return lp;
        }
        if (BackgroundInstall.running()) {
            // The agent's installation, with its options (a trust store, limits, an audit file), runs
            // aside of main: it comes first, as it did when premain installed before any other agent
            // or application code could call this (returns at once on the installing thread).
            boolean ended = BackgroundInstall.awaitEnded();
            lp = installed;
            if (lp != null) {
                return lp;
            }
            if (!ended) {
                throw new IllegalStateException("jlivepatch is not installed yet: " + BackgroundInstall.whyNotInstalled());
            }
        }
        synchronized (Livepatch.class) {
            if (installed == null) {
                // Before anything changes: another build's classes must not meet this JAR's bootstrap classes.
                OwnBuild.check();
                PatchRegistry registry = PatchRegistry.install(instrumentation); // undoes itself when it fails
                JmxWatch jmx = null;
                Livepatch made;
                try {
                    // Made before the channels: once the control socket's thread runs, nothing of the
                    // installation can fail any more, since a started thread cannot be taken back.
                    made = new Livepatch(registry);
                    jmx = JmxWatch.installWhenJmxIsUp(registry);
                    ControlServer.startInBackground(registry);
                } catch (Throwable e) {
                    // Out of native threads, or of stack: the JVM is left as before the call (the
                    // bootstrap class path's append aside, which a retry tolerates), so that a retry
                    // installs once; the caller reports the failure as it would have.
                    if (jmx != null) {
                        try {
                            jmx.cancel();
                        } catch (Throwable again) {
                            // e may be the JVM's one shared OutOfMemoryError, and again that same one
                            Suppressed.add(e, again);
                        }
                    }
                    registry.uninstall(e);
                    throw e;
                }
                registry.installDone(); // the JMX watch's thread waits for it (PatchRegistry.awaitInstalled)
                installed = made;
            }
            return installed;
        }
    }

    /** The installed instance. */
    public static Livepatch get() {
        Livepatch lp = installed;
        if (lp == null && BackgroundInstall.running()) {
            // -javaagent without start-up patches completes the installation after premain returned
            BackgroundInstall.await();
            lp = installed;
        }
        if (lp == null) {
            String why = BackgroundInstall.whyNotInstalled();
            if (why != null) {
                throw new IllegalStateException("jlivepatch is not installed in this JVM: " + why);
            }
            throw new IllegalStateException("jlivepatch is not installed in this JVM: start it with "
                    + "-javaagent:jlivepatch-agent.jar, attach the agent, or call Livepatch.install(instrumentation)");
        }
        return lp;
    }

    /** Resolves and validates every function, then appends the patch to the stack; all or nothing. */
    public PatchHandle register(Patch patch) throws PatchException {
        return registry.register(Objects.requireNonNull(patch, "patch"));
    }

    /**
     * Reads a patch JAR (manifest {@code Livepatch-Name}, {@code Livepatch-Description},
     * {@code Livepatch-Class}; replacements annotated {@link Replaces}) and registers its patch.
     * Its classes are defined in a class loader of their own per target class loader, whose parent
     * is the target's loader; nothing of it stays reachable once it is unregistered.
     */
    public PatchHandle load(Path patchJar) throws PatchException {
        return registry.load(Objects.requireNonNull(patchJar, "patchJar"));
    }

    /** The registered patches, in stack order (first registered first). */
    public List<PatchHandle> patches() {
        return registry.patches();
    }

    /**
     * The highest version of system state {@code id} (the kernel's {@code klp_state}) among the
     * enabled patches, or empty when none holds it. A patch counts from the end of its enable
     * transition (its {@code postPatch} sees it, its {@code prePatch} does not) to the start of its
     * disable's transition (its {@code preUnpatch} still sees it).
     */
    public OptionalInt stateVersion(long id) {
        return registry.stateVersion(id);
    }

    public Optional<PatchHandle> find(String name) {
        return registry.find(name);
    }
}
