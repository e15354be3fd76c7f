package io.jlivepatch.agent.cli;

import io.jlivepatch.control.LivepatchMBean;
import io.jlivepatch.internal.Text;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = "Make a running JVM follow a patch directory (loading jlivepatch first if needed): the patch"
                + " JARs in it, in file-name order, become its patch stack, reconciled on every change and every"
                + " --interval, as the agent options patches=<dir>,watch=true do from the JVM's start."
                + " Waits for the first reconcile.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:watching, the stack converged on the directory",
                "1:refused (another directory is watched, a bad path), or the first reconcile failed (the reason is"
                        + " printed; the JVM retries on the next change)",
                "2:usage error",
                "3:watching, the first reconcile had not ended within --wait, or is waiting (the directory does"
                        + " not exist yet, a file is still being written, a patch waits for its class loader)",
                Main.UNKNOWN_EXIT})
final class WatchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PidOption target;

    @Parameters(index = "1", paramLabel = "<dir>", description = "the patch directory, a path in the target's file"
            + " system")
    Path directory;

    private long interval = 30;
    private long transitionTimeout = 30;

    @Option(names = "--interval", paramLabel = "<seconds>", defaultValue = "30",
            description = "how often the directory is read without a file event, 1 to 86400 (default 30)")
    void setInterval(long seconds) {
        interval = checked("--interval", seconds, 86_400);
    }

    @Option(names = "--transition-timeout", paramLabel = "<seconds>", defaultValue = "30",
            description = "how long one transition may take before the reconcile reverses it, 1 to 3600 (default 30)")
    void setTransitionTimeout(long seconds) {
        transitionTimeout = checked("--transition-timeout", seconds, 3_600);
    }

    @Mixin
    TimeoutOption timeout;

    /** Absent: the --timeout. WaitOption's --wait, said of what watch waits for: its first reconcile. */
    private Long waitSeconds;

    @Option(names = "--wait", paramLabel = "<seconds>",
            description = "how long to wait for the first reconcile to end (default: the --timeout)")
    void setWait(long seconds) {
        waitSeconds = WaitOption.checked(spec, seconds);
    }

    private long waitSeconds() {
        return waitSeconds != null ? waitSeconds : timeout.seconds();
    }

    private long checked(String option, long seconds, long max) {
        if (seconds < 1 || seconds > max) {
            throw new ParameterException(spec.commandLine(), option + " must be between 1 and " + max
                    + " seconds, not " + seconds);
        }
        return seconds;
    }

    @Override
    public Integer call() throws Refused, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        String dir = directory.toAbsolutePath().normalize().toString();
        try (TargetJvm jvm = TargetJvm.connect(target.pid, "", timeout.seconds())) {
            LivepatchMBean lp = jvm.livepatch();
            String watched;
            long before;
            try {
                before = lp.getLastReconcile(); // the answer is the first reconcile that ends after this
                watched = lp.watch(dir, interval, transitionTimeout);
            } catch (RuntimeException e) {
                throw TargetJvm.refusal(e);
            }
            // The first reconcile runs on the target's watch thread: follow it until it has an outcome.
            Deadline first = Deadline.in(target.pid, waitSeconds());
            String state;
            boolean answered;
            try {
                while (true) {
                    // The end time first: a state read after it is that reconcile's or a later one's.
                    long ended = lp.getLastReconcile();
                    state = lp.getReconcileState();
                    answered = ended > before && !state.equals("applying");
                    if (answered || first.passed()) {
                        break;
                    }
                    Thread.sleep(20);
                }
                if (!answered) {
                    // What the state says is an earlier reconcile's: this one has not ended (a slow
                    // transition, or a read that does not return), and must not pass for converged.
                    state = state.equals("applying") ? "still applying after " + waitSeconds() + " s"
                            : "the reconcile asked for had not ended within " + waitSeconds() + " s (the"
                            + " one before it ended " + state + ")";
                }
                String desired = lp.getDesiredPatches();
                out.printf("pid %d watches %s: %s%n", jvm.pid(), Text.clean(watched), Text.clean(state));
                out.printf("  desired: %s%n", desired.isEmpty() ? "no patch" : Text.clean(desired));
                out.printf("  stack:   %s%n", lp.getPatches().length == 0 ? "no patch"
                        : Text.clean(String.join(" ", lp.getPatches())));
            } catch (RuntimeException e) {
                throw TargetJvm.refusal(e);
            }
            if (answered && state.startsWith("converged")) {
                return Main.DONE;
            }
            if (answered && state.startsWith("failed")) {
                out.printf("  ('jlivepatch status %d' shows it; the JVM retries on the next change of the directory)%n",
                        jvm.pid());
                return Main.REFUSED;
            }
            out.printf("  ('jlivepatch status %d' follows it)%n", jvm.pid());
            return Main.TRANSITION_RUNNING;
        }
    }
}
