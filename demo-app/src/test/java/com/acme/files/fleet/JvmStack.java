package com.acme.files.fleet;

import com.sun.tools.attach.VirtualMachine;
import io.jlivepatch.control.ObjectNames;

import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.InstanceNotFoundException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.ReflectionException;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The patch stack of one JVM as its monitoring reads it: the attributes of the {@code Livepatch}
 * and {@code Patch} MBeans (io.jlivepatch.control.LivepatchMBean, PatchMBean), over the JVM's
 * local JMX connector (started through the attach API, as JConsole does).
 * JMX rather than the {@code jlivepatch} command: one connection per JVM serves every poll, where a
 * command would start a JVM per look, and five of them at a time on two CPUs would slow what is
 * measured.
 */
public final class JvmStack implements AutoCloseable {

    /**
     * What one look saw.
     *
     * @param reconcileState {@code ReconcileState}
     * @param desired        {@code DesiredPatches}: the names the directory asks for, space-separated
     * @param patches        the registered patches, in stack order, each with what its MBean said
     * @param lastReconcile  {@code LastReconcile}, epoch millis
     */
    public record Snapshot(String reconcileState, String desired, List<PatchState> patches, long lastReconcile) {

        public List<String> names() {
            return patches.stream().map(PatchState::name).toList();
        }

        /**
         * Converged on {@code expected}: the watcher says so, asks for exactly those patches, and
         * exactly those are registered, each enabled and out of transition.
         */
        public boolean convergedOn(List<String> expected) {
            return reconcileState.startsWith("converged")
                    && desired.equals(String.join(" ", expected))
                    && names().equals(expected)
                    && patches.stream().allMatch(p -> p.enabled() && !p.transition());
        }

        @Override
        public String toString() {
            return "state '" + reconcileState + "', desired '" + desired + "', stack " + patches;
        }
    }

    /** One registered patch as its {@code io.jlivepatch:type=Patch,name=<p>} MBean answered. */
    public record PatchState(String name, boolean enabled, boolean transition) {
        @Override
        public String toString() {
            return name + (enabled ? "" : " (disabled)") + (transition ? " (in transition)" : "");
        }
    }

    private final JMXConnector connector;
    private final MBeanServerConnection server;

    private JvmStack(JMXConnector connector) throws IOException {
        this.connector = connector;
        this.server = connector.getMBeanServerConnection();
    }

    /**
     * Connects to {@code pid}'s JMX, and waits until jlivepatch's MBean is there: the agent
     * registers it once the JVM has an MBean server, which starting the connector creates.
     */
    public static JvmStack connect(long pid, Duration timeout) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        String address;
        try {
            address = vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
        JvmStack stack = new JvmStack(JMXConnectorFactory.connect(new JMXServiceURL(address)));
        try {
            long end = System.nanoTime() + timeout.toNanos();
            while (!stack.server.isRegistered(ObjectNames.livepatch())) {
                if (System.nanoTime() - end > 0) {
                    throw new IOException("pid " + pid + " registered no " + ObjectNames.LIVEPATCH + " within "
                            + timeout.toSeconds() + " s");
                }
                Thread.sleep(50);
            }
            return stack;
        } catch (Exception e) {
            stack.close();
            throw e;
        }
    }

    /**
     * One look: the stack's attributes in one call, then each patch's in one, so that a look costs
     * the JVM few round trips and sees the attributes of one object as they stood together. A patch
     * can be unregistered between reading the stack and reading its MBean (the watcher is at work):
     * it then shows as gone, and the look says the JVM is not converged yet.
     */
    public Snapshot read() throws IOException {
        Map<String, Object> stack;
        try {
            stack = attributes(ObjectNames.livepatch(), "ReconcileState", "DesiredPatches", "LastReconcile", "Patches");
        } catch (InstanceNotFoundException e) {
            throw new IOException("jlivepatch's MBean is gone", e);
        }
        List<PatchState> patches = new ArrayList<>();
        for (String name : (String[]) stack.get("Patches")) {
            try {
                Map<String, Object> patch = attributes(ObjectNames.patch(name), "Enabled", "Transition");
                patches.add(new PatchState(name, (Boolean) patch.get("Enabled"), (Boolean) patch.get("Transition")));
            } catch (InstanceNotFoundException e) {
                patches.add(new PatchState(name + " (gone)", false, true));
            }
        }
        return new Snapshot((String) stack.get("ReconcileState"), (String) stack.get("DesiredPatches"),
                List.copyOf(patches), (Long) stack.get("LastReconcile"));
    }

    /** {@code names} of {@code object}; every one must be answered (getAttributes leaves out those that fail). */
    private Map<String, Object> attributes(ObjectName object, String... names) throws IOException,
            InstanceNotFoundException {
        AttributeList answered;
        try {
            answered = server.getAttributes(object, names);
        } catch (ReflectionException e) {
            throw new IOException(object + ": " + e, e);
        }
        Map<String, Object> values = new HashMap<>();
        for (Attribute a : answered.asList()) {
            values.put(a.getName(), a.getValue());
        }
        if (values.size() != names.length) {
            throw new IOException(object + " answered " + values.keySet() + " of " + List.of(names));
        }
        return values;
    }

    @Override
    public void close() {
        try {
            connector.close();
        } catch (IOException ignored) {
            // the JVM is gone
        }
    }
}
