package io.jlivepatch.agent.cli;

import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import io.jlivepatch.agent.AgentMain;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.control.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the local JVMs (pid, main class) and whether jlivepatch is loaded in each.")
final class ListCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    TimeoutOption timeout;

    @Option(names = "--json", description = "print one JSON array of {pid, mainClass, jlivepatch}, for programs")
    boolean json;

    /** One local JVM (its attach id and what it was started with) and its probe, which runs while the others do. */
    private record Probe(String id, String displayName, Future<String> jlivepatch) {
    }

    /** What {@code list} says of a JVM that allows no attaching: {@code load} refuses it with the same words and what to do. */
    static final String NOT_ATTACHABLE = "not attachable (" + JvmProcess.DISABLED + ")";

    /**
     * What {@code list} says of a JVM that allows attaching but is not in the JDK's list: that, why where
     * its options say (no performance data file: {@code noPerfDataFileBy}, null when they do not), and
     * how to ask it. No cause is guessed: such a JVM may also be starting (its data not written yet), or
     * keep its data where this command does not look.
     */
    static String notListed(long pid, String noPerfDataFileBy) {
        return "unknown (not in the JDK's list of JVMs" + (noPerfDataFileBy == null ? ""
                : ": it runs with " + Text.clean(noPerfDataFileBy)) + "; not asked: 'jlivepatch status " + pid
                + "' asks it)";
    }

    @Override
    public Integer call() {
        long self = ProcessHandle.current().pid();
        JdkTimeouts.apply(timeout.seconds());
        // All probes share one deadline: a stopped JVM costs the listing --timeout once, not once each.
        Deadline deadline = Deadline.in(self, timeout.seconds());
        List<Probe> probes = new ArrayList<>();
        java.util.Set<String> listed = new java.util.HashSet<>();
        for (VirtualMachineDescriptor d : VirtualMachine.list()) {
            listed.add(d.id());
            if (!d.id().equals(Long.toString(self))) {
                probes.add(new Probe(d.id(), d.displayName(), deadline.start(() -> jlivepatchIn(d))));
            }
        }
        // The attach API lists only JVMs with performance data that allow attaching: the others are
        // shown, not left out. Not probed: a JVM the JDK does not list may not be ready for the attach's
        // signal (one starting up), which would end it; 'status <pid>' asks one that allows attaching.
        for (UnlistedJvms.Jvm j : UnlistedJvms.besides(listed)) {
            probes.add(new Probe(Long.toString(j.pid()), j.displayName(),
                    CompletableFuture.completedFuture(j.attachable() ? notListed(j.pid(), j.noPerfDataFileBy())
                            : NOT_ATTACHABLE)));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(json(deadline, probes));
            warnLeft();
            return Main.DONE;
        }
        List<String[]> rows = new ArrayList<>();
        for (Probe p : probes) {
            rows.add(new String[] {Text.clean(p.id()), answer(deadline, p),
                    p.displayName().isEmpty() ? "(unknown)" : Text.clean(p.displayName())});
        }
        out.print(table(rows));
        warnLeft();
        return Main.DONE;
    }

    /** What the attaches that got no answer left for their JVMs (AttachTrigger), by pid; filled by {@link #answer}. */
    private final List<String> left = new ArrayList<>();

    /** On standard error, after the listing: its output stays the table (or JSON) alone. */
    private void warnLeft() {
        for (String l : left) {
            spec.commandLine().getErr().println("jlivepatch: warning: " + l);
        }
    }

    /**
     * The table of {@code rows} (pid, jlivepatch, main class) under its header, each column as wide as
     * its longest entry and a space (at least 9 and 23: a short pid, "loaded" with a release version):
     * a build's version string ("loaded 0.1.0-SNAPSHOT+2026-12-03...") is longer.
     */
    static String table(List<String[]> rows) {
        int pid = 9;
        int jlivepatch = 23;
        for (String[] r : rows) {
            pid = Math.max(pid, r[0].length() + 1);
            jlivepatch = Math.max(jlivepatch, r[1].length() + 1);
        }
        String format = "%-" + pid + "s%-" + jlivepatch + "s%s%n";
        StringBuilder sb = new StringBuilder(String.format(format, "PID", "JLIVEPATCH", "MAIN CLASS"));
        for (String[] r : rows) {
            sb.append(String.format(format, r[0], r[1], r[2]));
        }
        return sb.toString();
    }

    /**
     * {@code [{"pid":4242,"mainClass":"com.acme.Main","jlivepatch":"loaded 1.0"}, ...]}: {@code mainClass}
     * is the main class or JAR the JVM was started with ({@code ""} when it does not say), without
     * its arguments; {@code jlivepatch} is {@code "loaded <version>"}, {@code "installing"}, {@code "not loaded"},
     * {@code "not attachable (-XX:+DisableAttachMechanism)"} or {@code "unknown (<why>)"}, as in the table.
     */
    private String json(Deadline deadline, List<Probe> probes) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < probes.size(); i++) {
            Probe p = probes.get(i);
            String id = p.id();
            // a main class in an argument file that cannot be read: the JSON's mainClass does not say
            String display = p.displayName().startsWith(UnlistedJvms.IN_FILE) ? "" : p.displayName().trim();
            int space = display.indexOf(' ');
            sb.append(i > 0 ? "," : "").append("{\"pid\":").append(isPid(id) ? id : Json.string(id))
                    .append(",\"mainClass\":").append(Json.string(space < 0 ? display : display.substring(0, space)))
                    .append(",\"jlivepatch\":").append(Json.string(answer(deadline, p))).append('}');
        }
        return sb.append(']').toString();
    }

    private String answer(Deadline deadline, Probe p) {
        try {
            return deadline.await(p.jlivepatch(), "attaching");
        } catch (Deadline.NoAnswer late) {
            if (isPid(p.id())) {
                String trigger = AttachTrigger.afterTimeout(Long.parseLong(p.id())); // deleted if the JVM reads it no more
                if (trigger != null) {
                    left.add("pid " + p.id() + " did not answer; " + trigger);
                }
            }
            return "unknown (no answer)";
        } catch (Exception e) {
            return "unknown (no attach)";
        }
    }

    private static String jlivepatchIn(VirtualMachineDescriptor d) throws Exception {
        // A JVM that cannot start its attach listener exits: one that is at its thread limit is not asked.
        String noRoom = isPid(d.id()) ? AttachHeadroom.refusal(Long.parseLong(d.id())) : null;
        if (noRoom != null) {
            return noRoom.contains("file descriptors") ? "unknown (out of file descriptors: not attached)"
                    : "unknown (at its thread limit: not attached)";
        }
        VirtualMachine vm = VirtualMachine.attach(d);
        try {
            java.util.Properties props = TargetJvm.systemProperties(vm::getSystemProperties);
            String v = props.getProperty(AgentMain.VERSION_PROPERTY);
            if (v == null) {
                if (props.getProperty(AgentMain.INSTALLING_PROPERTY) != null) {
                    return "installing"; // started with the JVM, on a thread of its own: 'status <pid>' waits for it
                }
                // 'status <pid>' says why
                return props.getProperty(AgentMain.FAILURE_PROPERTY) != null ? "not loaded (installation failed)" : "not loaded";
            }
            // whose JAR was overwritten since: every command is refused, and says why and what to do
            return "loaded " + Text.clean(v) + (!isPid(d.id()) || OverwrittenAgentJar.refusal(Long.parseLong(d.id()), props) == null ? ""
                    : ", but its agent JAR was overwritten since it started ('jlivepatch status " + d.id() + "' says"
                    + " what to do)");
        } finally {
            vm.detach();
        }
    }

    /** Whether a JVM's attach id is a pid (digits that fit a long), as it is on Linux. */
    private static boolean isPid(String id) {
        return id.matches("[0-9]{1,18}");
    }
}
