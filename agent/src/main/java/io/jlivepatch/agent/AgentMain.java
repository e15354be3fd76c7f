package io.jlivepatch.agent;

import io.jlivepatch.internal.Log;
import io.jlivepatch.Livepatch;
import io.jlivepatch.internal.core.AuditFile;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.patch.RecursionGuard;
import io.jlivepatch.internal.trust.TrustPolicy;
import io.jlivepatch.internal.watch.PatchDirectoryWatch;

import java.lang.instrument.Instrumentation;

/**
 * The agent's entry points. Rules, as in every agent that must not take its host down: do as
 * little as possible here, keep no static state, and never let an exception escape into the JVM's
 * start-up (a failing premain aborts the application).
 *
 * <p>Arguments: {@code patches=<dir>} loads and enables every patch JAR of that directory, in
 * file-name order, before {@code main} (the kpatch service); with {@code watch=true} the directory
 * is the desired stack from then on, reconciled on every change ({@link PatchDirectoryWatch}).
 */
public final class AgentMain {

    /** Set in the target JVM once jlivepatch is installed; {@code jlivepatch list} reads it over attach. */
    public static final String VERSION_PROPERTY = "jlivepatch.version";
    /**
     * Set in the target JVM when the agent could not install, to why; the command reads it over
     * attach and says so at once instead of waiting for a socket that never opens. Cleared by an
     * installation that succeeds.
     */
    public static final String FAILURE_PROPERTY = "jlivepatch.agent.failure";


    private AgentMain() {
    }

    /** {@code -javaagent:jlivepatch-agent.jar[=patches=<dir>]}: installs jlivepatch before {@code main}. */
    public static void premain(String args, Instrumentation inst) {
        install(args, inst, true);
    }

    /** Runtime attach: installs jlivepatch into a running JVM (idempotent). */
    public static void agentmain(String args, Instrumentation inst) {
        install(args, inst, false);
    }

    /** @param beforeMain premain: the application's main waits for this */
    private static void install(String args, Instrumentation inst, boolean beforeMain) {
        try {
            AgentArguments arguments = AgentArguments.parse(args);
            io.jlivepatch.internal.jar.JarLimits.setCurrent(arguments.jarLimits());
            boolean trustInstalled = false;
            if (arguments.truststore() != null) {
                // Before any patch can load; a store that cannot be read gives a policy that refuses all.
                trustInstalled = TrustPolicy.install(TrustPolicy.fromStore(arguments.truststore(),
                        arguments.truststorePassword()));
            }
            if (arguments.auditFile() != null) {
                AuditFile.configure(arguments.auditFile());
            }
            Livepatch lp = Livepatch.install(inst);
            System.clearProperty(FAILURE_PROPERTY);
            // Who asked, for provenance and audit: an attach may come hours after the start.
            String requester = beforeMain ? Requester.STARTUP : Requester.ATTACH;
            if (arguments.truststore() != null) {
                // A raised policy changes what may run from now on (and what registered patches may be
                // enabled): on record, as every change is.
                String before = Requester.enter(requester);
                try {
                    PatchRegistry.installed().audit("trust", arguments.truststore().toString(), (trustInstalled
                            ? "ok (" : "refused (the policy stays: ") + TrustPolicy.current().describe() + ")");
                } finally {
                    Requester.restore(before);
                }
            }
            String version = AgentMain.class.getPackage().getImplementationVersion();
            // With the build: which build runs where (jlivepatch list), whatever the version says.
            System.setProperty(VERSION_PROPERTY, (version == null ? "development" : version)
                    .concat(" (build ").concat(io.jlivepatch.internal.OwnBuild.stamp()).concat(")"));
            if (arguments.watch() == null && arguments.patchDirectory() == null) {
                return; // nothing to patch yet: the hooks are installed by the first operation
            }
            // The start-up loader and the attach thread run jlivepatch's code from here on: marked
            // (RecursionGuard), so that no patch's replacement runs on their behalf. The mark
            // completes the hooks' installation (HookManager.activate) first.
            int mark = RecursionGuard.enter();
            try {
                if (arguments.watch() != null) {
                    // Before main, the first reconcile's log lines go aside, as the start-up loader's do.
                    if (beforeMain) {
                        Log.beginAside();
                    }
                    try {
                        PatchDirectoryWatch.start(PatchRegistry.installed(), arguments.watch());
                    } finally {
                        if (beforeMain) {
                            Log.endAside();
                        }
                    }
                } else if (arguments.patchDirectory() != null) {
                    String before = Requester.enter(requester);
                    // Before main, the patches' log lines are formatted and printed by a thread of
                    // their own meanwhile (a cold JVM takes milliseconds a line); all are out when
                    // this returns. Attached, nobody waits: they are printed as they come.
                    if (beforeMain) {
                        Log.beginAside();
                    }
                    try {
                        StartupPatches.loadAll(lp, arguments.patchDirectory());
                    } finally {
                        if (beforeMain) {
                            Log.endAside();
                        }
                        Requester.restore(before);
                    }
                }
            } finally {
                RecursionGuard.exit(mark);
            }
        } catch (IllegalArgumentException e) {
            failed("its arguments were refused: " + e.getMessage());
            if (args != null && args.contains("truststore")) {
                // Fail closed: signed patches were required, and a later attach (which passes no
                // arguments, or others) must not install jlivepatch without the trust store.
                TrustPolicy.install(TrustPolicy.refusingAll("the agent's arguments, which name a trust store, were"
                        + " refused at start-up (" + e.getMessage() + "): correct them and restart the JVM"));
                Log.get().log(System.Logger.Level.ERROR, "jlivepatch agent arguments: " + e.getMessage()
                        + "; they name a trust store, so every patch is refused until the JVM restarts with"
                        + " arguments that parse");
                return;
            }
            Log.get().log(System.Logger.Level.ERROR, "jlivepatch agent arguments: " + e.getMessage()
                    + "; the application runs without them");
        } catch (RuntimeException | LinkageError e) {
            Log.get().log(System.Logger.Level.ERROR, "jlivepatch could not be installed; the application runs"
                    + " without live patching", e);
            failed(String.valueOf(e.getMessage()));
        } catch (OutOfMemoryError | StackOverflowError e) {
            // jlivepatch fails, the application does not: an error out of premain would abort the
            // start-up, and out of agentmain it reaches the attach thread. Logging may fail too.
            try {
                Log.get().log(System.Logger.Level.ERROR, "jlivepatch could not be installed (" + e
                        + "); the application runs without live patching");
            } catch (Throwable ignored) {
                // nothing more can be done without memory
            }
        }
    }

    private static void failed(String why) {
        try {
            System.setProperty(FAILURE_PROPERTY, why);
        } catch (RuntimeException ignored) {
            // a security manager, say: the target's log has it
        }
    }
}
