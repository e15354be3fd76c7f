package io.jlivepatch.agent.cli;

import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import io.jlivepatch.agent.AgentMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the local JVMs (pid, main class) and whether jlivepatch is loaded in each.")
final class ListCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        long self = ProcessHandle.current().pid();
        spec.commandLine().getOut().printf("%-8s %-22s %s%n", "PID", "JLIVEPATCH", "MAIN CLASS");
        for (VirtualMachineDescriptor d : VirtualMachine.list()) {
            if (d.id().equals(Long.toString(self))) {
                continue;
            }
            spec.commandLine().getOut().printf("%-8s %-22s %s%n", d.id(), jlivepatchIn(d),
                    d.displayName().isEmpty() ? "(unknown)" : d.displayName());
        }
        return Main.DONE;
    }

    private static String jlivepatchIn(VirtualMachineDescriptor d) {
        try {
            VirtualMachine vm = VirtualMachine.attach(d);
            try {
                String v = vm.getSystemProperties().getProperty(AgentMain.VERSION_PROPERTY);
                return v == null ? "not loaded" : "loaded " + v;
            } finally {
                vm.detach();
            }
        } catch (Exception e) {
            return "unknown (no attach)";
        }
    }
}
