package io.jlivepatch.agent;

import io.jlivepatch.Livepatch;

import java.lang.instrument.Instrumentation;

/**
 * The agent's entry points. Rules, as in every agent that must not take its host down: do as
 * little as possible here, keep no static state, and never let an exception escape into the JVM's
 * start-up (a failing premain aborts the application).
 */
public final class AgentMain {

    private static final System.Logger LOG = System.getLogger("io.jlivepatch");

    private AgentMain() {
    }

    /** {@code -javaagent:jlivepatch-agent.jar}: installs jlivepatch before {@code main}. */
    public static void premain(String args, Instrumentation inst) {
        install(args, inst);
    }

    /** Runtime attach: installs jlivepatch into a running JVM (idempotent). */
    public static void agentmain(String args, Instrumentation inst) {
        install(args, inst);
    }

    private static void install(String args, Instrumentation inst) {
        try {
            Livepatch.install(inst);
            LOG.log(System.Logger.Level.DEBUG, "jlivepatch installed");
        } catch (RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.ERROR, "jlivepatch could not be installed; the application runs"
                    + " without live patching", e);
        }
    }
}
