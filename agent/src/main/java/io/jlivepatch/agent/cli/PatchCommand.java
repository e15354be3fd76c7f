package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

/** A command on one registered patch of a running JVM. */
abstract class PatchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PidOption target;

    @Parameters(index = "1", paramLabel = "<name>", description = "the patch's name ('jlivepatch status <pid>')")
    String name;

    @Mixin
    TimeoutOption timeout;

    @Override
    public Integer call() throws Refused, InterruptedException {
        try (TargetJvm jvm = TargetJvm.attach(target.pid, false, timeout.seconds())) {
            String outcome = apply(jvm);
            spec.commandLine().getOut().printf("'%s': %s in pid %d%n", Text.clean(name), outcome, jvm.pid());
            return Main.DONE;
        }
    }

    /** Does the work; returns what happened, e.g. {@code disabled}. */
    abstract String apply(TargetJvm jvm) throws Refused, InterruptedException;

    /**
     * Waits for the transition that the operation started.
     *
     * @return how it ended, e.g. {@code unpatching complete}, or that it still runs and who holds it
     */
    String settle(TargetJvm jvm, String complete, WaitOption wait) throws Refused, InterruptedException {
        long seconds = wait.seconds(timeout);
        if (jvm.awaitTransition(name, seconds)) {
            return complete;
        }
        return "transition still running after " + seconds + " s, waiting for "
                + String.join("; ", jvm.waitingThreads());
    }

    static void unregister(TargetJvm jvm, String name) throws Refused {
        try {
            jvm.patch(name).unregister();
        } catch (RuntimeException e) {
            throw TargetJvm.refusal(e);
        }
    }
}
