package io.jlivepatch.agent.cli;

import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import io.jlivepatch.agent.AgentMain;
import io.jlivepatch.internal.control.JmxControl;
import io.jlivepatch.internal.control.LivepatchMBean;
import io.jlivepatch.internal.control.PatchMBean;

import javax.management.Attribute;
import javax.management.InstanceNotFoundException;
import javax.management.JMX;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.lang.reflect.UndeclaredThrowableException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * A JVM reached through the attach API and its local JMX connector
 * ({@code VirtualMachine.startLocalManagementAgent}): no network port of ours is opened.
 */
final class TargetJvm implements AutoCloseable {

    private final long pid;
    private final JMXConnector connector;
    private final MBeanServerConnection connection;

    private TargetJvm(long pid, JMXConnector connector) throws IOException {
        this.pid = pid;
        this.connector = connector;
        this.connection = connector.getMBeanServerConnection();
    }

    /**
     * Attaches to {@code pid}; with {@code loadAgent}, loads jlivepatch first when it is not there.
     *
     * @throws Refused when there is no such JVM, it cannot be attached, or jlivepatch is absent
     */
    static TargetJvm attach(long pid, boolean loadAgent) throws Refused {
        if (pid == ProcessHandle.current().pid()) {
            throw new Refused("pid " + pid + " is this jlivepatch command itself: give the pid of the application JVM");
        }
        if (ProcessHandle.of(pid).isEmpty()) {
            throw new Refused("no process with pid " + pid + ": 'jlivepatch list' shows the local JVMs");
        }
        VirtualMachine vm;
        try {
            vm = VirtualMachine.attach(Long.toString(pid));
        } catch (AttachNotSupportedException | IOException e) {
            throw new Refused("cannot attach to pid " + pid + " (" + e.getMessage() + "): it must be a JVM run by"
                    + " the same user, without -XX:+DisableAttachMechanism; 'jlivepatch list' shows the local JVMs", e);
        }
        try {
            boolean present = vm.getSystemProperties().getProperty(AgentMain.VERSION_PROPERTY) != null;
            if (!present) {
                if (!loadAgent) {
                    throw new Refused("jlivepatch is not loaded in pid " + pid
                            + ": 'jlivepatch load " + pid + " <patch.jar>' loads it");
                }
                vm.loadAgent(agentJar().toString());
            }
            String address = vm.startLocalManagementAgent();
            JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address));
            TargetJvm jvm = new TargetJvm(pid, connector);
            jvm.awaitMBeans();
            return jvm;
        } catch (AgentLoadException | com.sun.tools.attach.AgentInitializationException e) {
            throw new Refused("pid " + pid + " refused the jlivepatch agent (" + e.getMessage() + "); on JDK 21+"
                    + " start it with -XX:+EnableDynamicAgentLoading or with -javaagent", e);
        } catch (IOException e) {
            throw new Refused("talking to pid " + pid + " failed: " + e.getMessage(), e);
        } finally {
            try {
                vm.detach();
            } catch (IOException ignored) {
                // the JMX connection, if any, does not depend on the attach channel
            }
        }
    }

    /** The JAR this command runs from, which is also the agent; {@code -Djlivepatch.agent.jar} overrides it. */
    static Path agentJar() throws Refused {
        String override = System.getProperty("jlivepatch.agent.jar");
        if (override != null) {
            return Paths.get(override);
        }
        try {
            Path p = Paths.get(AgentMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!p.toString().endsWith(".jar")) {
                throw new Refused("jlivepatch runs from " + p + ", not from its agent JAR: run java -jar"
                        + " agent/target/jlivepatch-agent.jar");
            }
            return p;
        } catch (URISyntaxException e) {
            throw new Refused("cannot locate the jlivepatch agent JAR: " + e.getMessage(), e);
        }
    }

    /** The agent registers its MBeans from a background thread (to spare start-up time): wait for them. */
    private void awaitMBeans() throws Refused, IOException {
        ObjectName on = name(JmxControl.LIVEPATCH);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!connection.isRegistered(on)) {
            if (System.nanoTime() > deadline) {
                close();
                throw new Refused("jlivepatch is loaded in pid " + pid + " but its MBeans did not appear within 10 s;"
                        + " the target's log says why");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Refused("interrupted while waiting for pid " + pid, e);
            }
        }
    }

    long pid() {
        return pid;
    }

    LivepatchMBean livepatch() throws Refused {
        return JMX.newMBeanProxy(connection, name(JmxControl.LIVEPATCH), LivepatchMBean.class);
    }

    /** The MBean of a registered patch. */
    PatchMBean patch(String name) throws Refused {
        ObjectName on = JmxControl.patchName(name);
        try {
            if (!connection.isRegistered(on)) {
                String[] all = livepatch().getPatches();
                throw new Refused("no patch '" + name + "' is registered in pid " + pid + " (registered: "
                        + (all.length == 0 ? "none" : String.join(", ", all)) + ")");
            }
        } catch (IOException e) {
            throw new Refused("talking to pid " + pid + " failed: " + e.getMessage(), e);
        }
        return JMX.newMBeanProxy(connection, on, PatchMBean.class);
    }

    void setEnabled(String patch, boolean enabled) throws Refused {
        patch(patch);
        try {
            connection.setAttribute(JmxControl.patchName(patch), new Attribute("Enabled", enabled));
        } catch (RuntimeMBeanException e) {
            throw refusal(e);
        } catch (InstanceNotFoundException e) {
            throw new Refused("patch '" + patch + "' was unregistered meanwhile", e);
        } catch (Exception e) {
            throw refusal(e);
        }
    }

    /**
     * Waits until the patch is out of transition.
     *
     * @return whether it is, within the timeout
     */
    boolean awaitTransition(String patch, long timeoutSeconds) throws Refused, InterruptedException {
        PatchMBean p = patch(patch);
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (p.getTransition()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** The threads that hold a transition and the patched method holding each, from status. */
    java.util.List<String> waitingThreads() throws Refused {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String line : livepatch().statusText().split("\n")) {
            if (line.trim().startsWith("waiting:")) {
                out.add(line.trim().substring("waiting:".length()).trim());
            }
        }
        return out;
    }

    /** The refusal inside a JMX exception: the target's message, which starts with the reason. */
    static Refused refusal(Throwable t) {
        Throwable c = t;
        while ((c instanceof RuntimeMBeanException || c instanceof UndeclaredThrowableException
                || c instanceof javax.management.MBeanException || c instanceof javax.management.ReflectionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return new Refused(c.getMessage() != null ? c.getMessage() : c.toString(), t);
    }

    private static ObjectName name(String s) throws Refused {
        try {
            return new ObjectName(s);
        } catch (javax.management.MalformedObjectNameException e) {
            throw new Refused(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            connector.close();
        } catch (IOException ignored) {
            // the target may have ended: nothing left to close
        }
    }
}
