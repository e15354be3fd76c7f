package io.jlivepatch.agent.cli;

import io.jlivepatch.PatchException;
import io.jlivepatch.control.PatchMBean;
import io.jlivepatch.internal.jar.PatchJar;
import io.jlivepatch.internal.Text;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Load a patch JAR into a running JVM (loading jlivepatch first if needed), enable it and"
                + " wait for its transition.")
final class LoadCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PidOption target;

    @Parameters(index = "1", paramLabel = "<patch.jar>", description = "the patch JAR")
    Path jar;

    @Option(names = "--no-enable", description = "register the patch only")
    boolean noEnable;

    @Mixin
    TimeoutOption timeout;

    @Mixin
    WaitOption wait;

    @Override
    public Integer call() throws Refused, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        Path path = jar.toAbsolutePath().normalize();
        String rawName;
        try {
            // Checked here first: a bad file must not even load the agent into the target.
            rawName = PatchJar.read(path).name();
        } catch (PatchException e) {
            throw new Refused(e.reason() + ": " + Text.clean(e.getMessage()), e);
        }
        String name = Text.clean(rawName);
        try (TargetJvm jvm = TargetJvm.attach(target.pid, true, timeout.seconds())) {
            long start = System.nanoTime();
            try {
                jvm.livepatch().load(path.toString(), !noEnable);
            } catch (RuntimeException e) {
                throw TargetJvm.refusal(e);
            }
            PatchMBean patch = jvm.patch(rawName);
            if (noEnable) {
                out.printf("'%s': registered in pid %d (not enabled)%n", name, jvm.pid());
            } else {
                boolean done = jvm.awaitTransition(rawName, wait.seconds(timeout));
                long ms = (System.nanoTime() - start) / 1_000_000;
                if (!done) {
                    // Like kpatch load: name the threads that still run old code, and what holds them.
                    out.printf("'%s': enabled in pid %d, transition still running after %d s; waiting for:%n", name,
                            jvm.pid(), wait.seconds(timeout));
                    for (String w : jvm.waitingThreads()) {
                        out.println("  " + w);
                    }
                    out.printf("  ('jlivepatch status %d' follows it; 'jlivepatch force %d %s' ends it at once)%n",
                            jvm.pid(), jvm.pid(), name);
                } else {
                    out.printf("'%s': enabled in pid %d, patching complete in %d ms%n", name, jvm.pid(), ms);
                }
            }
            for (String line : patch.getFunctions()) {
                out.println("  " + line);
            }
            return Main.DONE;
        }
    }
}
