package io.jlivepatch.agent.cli;

import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import io.jlivepatch.agent.AgentMain;
import io.jlivepatch.internal.Text;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the local JVMs (pid, main class) and whether jlivepatch is loaded in each.")
final class ListCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    TimeoutOption timeout;

    /** One local JVM and its probe, which runs while the others do. */
    private record Probe(VirtualMachineDescriptor jvm, Future<String> jlivepatch) {
    }

    @Override
    public Integer call() {
        long self = ProcessHandle.current().pid();
        JdkTimeouts.apply(timeout.seconds());
        // All probes share one deadline: a stopped JVM costs the listing --timeout once, not once each.
        Deadline deadline = Deadline.in(self, timeout.seconds());
        List<Probe> probes = new ArrayList<>();
        for (VirtualMachineDescriptor d : VirtualMachine.list()) {
            if (!d.id().equals(Long.toString(self))) {
                probes.add(new Probe(d, deadline.start(() -> jlivepatchIn(d))));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-8s %-22s %s%n", "PID", "JLIVEPATCH", "MAIN CLASS");
        for (Probe p : probes) {
            out.printf("%-8s %-22s %s%n", Text.clean(p.jvm().id()), answer(deadline, p),
                    p.jvm().displayName().isEmpty() ? "(unknown)" : Text.clean(p.jvm().displayName()));
        }
        return Main.DONE;
    }

    private String answer(Deadline deadline, Probe p) {
        try {
            return deadline.await(p.jlivepatch(), "attaching");
        } catch (Deadline.NoAnswer late) {
            return "unknown (no answer)";
        } catch (Exception e) {
            return "unknown (no attach)";
        }
    }

    private static String jlivepatchIn(VirtualMachineDescriptor d) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(d);
        try {
            String v = vm.getSystemProperties().getProperty(AgentMain.VERSION_PROPERTY);
            return v == null ? "not loaded" : "loaded " + Text.clean(v);
        } finally {
            vm.detach();
        }
    }
}
