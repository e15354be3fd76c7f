package io.jlivepatch.agent.cli;

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

    @Override
    public Integer call() throws Refused {
        try (TargetJvm jvm = TargetJvm.attach(target.pid, false)) {
            String outcome = apply(jvm);
            spec.commandLine().getOut().printf("'%s': %s in pid %d%n", name, outcome, jvm.pid());
            return Main.DONE;
        }
    }

    /** Does the work; returns what happened, e.g. {@code disabled}. */
    abstract String apply(TargetJvm jvm) throws Refused;

    static void unregister(TargetJvm jvm, String name) throws Refused {
        try {
            jvm.patch(name).unregister();
        } catch (RuntimeException e) {
            throw TargetJvm.refusal(e);
        }
    }
}
