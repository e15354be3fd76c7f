package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.control.Json;
import io.jlivepatch.control.LivepatchMBean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show each patch in stack order: enabled, in transition, and each function's state per"
                + " class loader.")
final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PidOption target;

    @Mixin
    TimeoutOption timeout;

    @Option(names = "--json", description = "print JSON, for programs")
    boolean json;

    @Option(names = "--log", description = "also print the audit log of every operation and its outcome")
    boolean log;

    @Override
    public Integer call() throws Refused {
        try {
            return show();
        } catch (RuntimeException e) {
            throw TargetJvm.refusal(e);
        }
    }

    private Integer show() throws Refused {
        PrintWriter out = spec.commandLine().getOut();
        TargetJvm connected;
        try {
            connected = TargetJvm.attach(target.pid, false, timeout.seconds());
        } catch (TargetJvm.NotLoaded absent) {
            // a question answered, not a refusal: exit 0; with why, when an installation failed there
            String failure = absent.failure();
            out.println(json ? "{\"pid\":" + target.pid + ",\"jlivepatch\":\"not loaded\",\"patches\":[]"
                    + (failure == null ? "" : ",\"failure\":" + Json.string(failure)) + "}"
                    : "pid " + target.pid + ": jlivepatch not loaded" + (failure == null ? "" : " (its installation"
                    + " failed: " + Text.clean(failure) + "; the target's log has the details)"));
            return Main.DONE;
        } catch (TargetJvm.StillInstalling installing) {
            // answered too: installing, and for how long (one that never ends waits on something, its log says what)
            long running = installing.runningSeconds();
            out.println(json ? "{\"pid\":" + target.pid + ",\"jlivepatch\":\"installing\",\"patches\":[]"
                    + (running < 0 ? "" : ",\"installingSeconds\":" + running) + "}"
                    : "pid " + target.pid + ": jlivepatch installing (" + installing.getMessage() + ")");
            return Main.DONE;
        }
        try (TargetJvm jvm = connected) {
            LivepatchMBean lp = jvm.livepatch();
            if (json) {
                String status = lp.statusJson();
                if (log) {
                    StringBuilder sb = new StringBuilder(status.substring(0, status.length() - 1)).append(",\"log\":[");
                    String[] entries = lp.getLog();
                    for (int i = 0; i < entries.length; i++) {
                        sb.append(i > 0 ? "," : "").append(Json.string(entries[i]));
                    }
                    status = sb.append("]}").toString();
                }
                out.println(status);
            } else {
                out.print(lp.statusText());
                if (log) {
                    out.println("log:");
                    for (String entry : lp.getLog()) {
                        out.println("  " + entry);
                    }
                }
            }
            return Main.DONE;
        }
    }
}
