package com.acme.files.fleet;

import com.sun.tools.attach.VirtualMachine;
import io.jlivepatch.control.LivepatchMBean;
import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.control.PatchMBean;

import javax.management.InstanceNotFoundException;
import javax.management.JMX;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.lang.reflect.UndeclaredThrowableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The patch stack of one JVM as its monitoring reads it: the {@code Livepatch} and {@code Patch}
 * MBeans, over the JVM's local JMX connector (started through the attach API, as JConsole does).
 * JMX rather than the {@code jlivepatch} command: one connection per JVM serves every poll, where a
 * command would start a JVM per look, and five of them at a time on two CPUs would slow what is
 * measured.
 */
public final class JvmStack implements AutoCloseable {

    /**
     * What one look saw.
     *
     * @param reconcileState {@code LivepatchMBean.getReconcileState()}
     * @param desired        {@code getDesiredPatches()}: the names the directory asks for, space-separated
     * @param patches        the registered patches, in stack order, each with what its MBean said
     * @param lastReconcile  {@code getLastReconcile()}, epoch millis
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
    private final LivepatchMBean livepatch;

    private JvmStack(JMXConnector connector) throws IOException {
        this.connector = connector;
        this.server = connector.getMBeanServerConnection();
        this.livepatch = JMX.newMXBeanProxy(server, ObjectNames.livepatch(), LivepatchMBean.class);
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
     * One look. A patch can be unregistered between reading the stack and reading its MBean (the
     * watcher is at work): it then shows as gone, and the look says the JVM is not converged yet.
     */
    public Snapshot read() throws IOException {
        String state = livepatch.getReconcileState();
        String desired = livepatch.getDesiredPatches();
        long last = livepatch.getLastReconcile();
        List<PatchState> patches = new ArrayList<>();
        for (String name : livepatch.getPatches()) {
            PatchMBean patch = JMX.newMXBeanProxy(server, ObjectNames.patch(name), PatchMBean.class);
            try {
                patches.add(new PatchState(name, patch.isEnabled(), patch.isTransition()));
            } catch (UndeclaredThrowableException e) {
                if (!(e.getCause() instanceof InstanceNotFoundException)) {
                    throw e;
                }
                patches.add(new PatchState(name + " (gone)", false, true));
            }
        }
        return new Snapshot(state, desired, List.copyOf(patches), last);
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
