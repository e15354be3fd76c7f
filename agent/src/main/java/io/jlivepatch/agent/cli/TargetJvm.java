package io.jlivepatch.agent.cli;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import io.jlivepatch.Patch;
import io.jlivepatch.agent.AgentMain;
import io.jlivepatch.internal.Text;
import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.control.LivepatchMBean;
import io.jlivepatch.control.PatchMBean;

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
import java.util.ArrayList;
import java.util.List;

/**
 * A JVM reached through the attach API and its local JMX connector
 * ({@code VirtualMachine.startLocalManagementAgent}): no network port of ours is opened. Every step
 * towards it is bounded by the command's {@code --timeout}: attaching and connecting together
 * by one {@link Deadline}, then each MBean call by one of its own ({@link TimedConnection}).
 */
final class TargetJvm implements AutoCloseable {

    private final long pid;
    private final JMXConnector connector;
    private final TimedConnection timed;
    private final MBeanServerConnection connection;

    private TargetJvm(long pid, JMXConnector connector, MBeanServerConnection raw, long timeoutSeconds) {
        this.pid = pid;
        this.connector = connector;
        this.timed = new TimedConnection(pid, raw, timeoutSeconds);
        this.connection = timed.connection();
    }

    /**
     * Attaches to {@code pid}; with {@code loadAgent}, loads jlivepatch first when it is not there.
     *
     * @throws Refused           when there is no such JVM, it cannot be attached, or jlivepatch is absent
     * @throws Deadline.NoAnswer when the JVM did not answer within {@code timeoutSeconds}
     */
    static TargetJvm attach(long pid, boolean loadAgent, long timeoutSeconds) throws Refused {
        if (pid == ProcessHandle.current().pid()) {
            throw new Refused("pid " + pid + " is this jlivepatch command itself: give the pid of the application JVM");
        }
        if (ProcessHandle.of(pid).isEmpty()) {
            throw new Refused("no process with pid " + pid + ": 'jlivepatch list' shows the local JVMs");
        }
        JdkTimeouts.apply(timeoutSeconds);
        Deadline connecting = Deadline.in(pid, timeoutSeconds);
        VirtualMachine vm;
        try {
            vm = connecting.run("attaching", () -> VirtualMachine.attach(Long.toString(pid)));
        } catch (AttachNotSupportedException | IOException e) {
            throw new Refused("cannot attach to pid " + pid + " (" + e.getMessage() + "): it must be a JVM run by"
                    + " the same user, without -XX:+DisableAttachMechanism; 'jlivepatch list' shows the local JVMs", e);
        } catch (RuntimeException | Refused e) {
            throw e;
        } catch (Exception e) {
            throw failed(pid, e);
        }
        JMXConnector connector = null;
        try {
            boolean present = connecting.run("reading its system properties",
                    () -> vm.getSystemProperties().getProperty(AgentMain.VERSION_PROPERTY) != null);
            if (!present) {
                if (!loadAgent) {
                    throw new Refused("jlivepatch is not loaded in pid " + pid
                            + ": 'jlivepatch load " + pid + " <patch.jar>' loads it");
                }
                String agent = agentJar().toString();
                connecting.run("loading the agent", () -> {
                    vm.loadAgent(agent);
                    return null;
                });
            }
            String address = connecting.run("starting its local JMX agent", vm::startLocalManagementAgent);
            JMXConnector c = connecting.run("connecting to its JMX agent",
                    () -> JMXConnectorFactory.connect(new JMXServiceURL(address)));
            connector = c;
            MBeanServerConnection raw = connecting.run("connecting to its JMX agent", c::getMBeanServerConnection);
            TargetJvm jvm = new TargetJvm(pid, c, raw, timeoutSeconds);
            jvm.awaitMBeans(connecting, raw);
            return jvm;
        } catch (AgentLoadException | AgentInitializationException e) {
            throw new Refused("pid " + pid + " refused the jlivepatch agent (" + e.getMessage() + "); on JDK 21+"
                    + " start it with -XX:+EnableDynamicAgentLoading or with -javaagent", closing(connector, e));
        } catch (IOException e) {
            throw new Refused("talking to pid " + pid + " failed: " + e.getMessage(), closing(connector, e));
        } catch (RuntimeException | Refused e) {
            closing(connector, e);
            throw e;
        } catch (Exception e) {
            throw failed(pid, closing(connector, e));
        } finally {
            try {
                vm.detach(); // local: forgets the attach socket, sends nothing
            } catch (IOException ignored) {
                // the JMX connection, if any, does not depend on the attach channel
            }
        }
    }

    /** Closes {@code connector} (if any) without waiting for the target; returns {@code e}. */
    private static <E extends Exception> E closing(JMXConnector connector, E e) {
        if (connector != null) {
            Deadline.inBackground(() -> {
                connector.close();
                return null;
            });
        }
        return e;
    }

    private static Refused failed(long pid, Exception e) {
        return new Refused("talking to pid " + pid + " failed: " + e, e);
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
    private void awaitMBeans(Deadline connecting, MBeanServerConnection raw) throws Exception {
        ObjectName on = name(ObjectNames.LIVEPATCH);
        while (!connecting.run("waiting for the jlivepatch MBeans", () -> raw.isRegistered(on))) {
            if (connecting.passed()) {
                throw new Refused("jlivepatch is loaded in pid " + pid + " but its MBeans did not appear within "
                        + connecting.seconds() + " s; the target's log says why");
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
        return JMX.newMBeanProxy(connection, name(ObjectNames.LIVEPATCH), LivepatchMBean.class);
    }

    /** The MBean of a registered patch. */
    PatchMBean patch(String name) throws Refused {
        try {
            if (!Patch.isValidName(name) || !connection.isRegistered(ObjectNames.patch(name))) {
                String[] all = livepatch().getPatches();
                throw new Refused("no patch '" + Text.clean(name) + "' is registered in pid " + pid + " (registered: "
                        + (all.length == 0 ? "none" : Text.clean(String.join(", ", all))) + ")");
            }
        } catch (IOException e) {
            throw new Refused("talking to pid " + pid + " failed: " + Text.clean(e.getMessage()), e);
        }
        return JMX.newMBeanProxy(connection, ObjectNames.patch(name), PatchMBean.class);
    }

    void setEnabled(String patch, boolean enabled) throws Refused {
        patch(patch);
        try {
            connection.setAttribute(ObjectNames.patch(patch), new Attribute("Enabled", enabled));
        } catch (RuntimeMBeanException e) {
            throw refusal(e);
        } catch (InstanceNotFoundException e) {
            throw new Refused("patch '" + Text.clean(patch) + "' was unregistered meanwhile", e);
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
        Deadline transition = Deadline.in(pid, timeoutSeconds);
        while (p.isTransition()) {
            if (transition.passed()) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** The threads that hold a transition and the patched method holding each, from status (cleaned there). */
    List<String> waitingThreads() throws Refused {
        List<String> out = new ArrayList<>();
        for (String line : livepatch().statusText().split("\n")) {
            if (line.trim().startsWith("waiting:")) {
                out.add(line.trim().substring("waiting:".length()).trim());
            }
        }
        return out;
    }

    /**
     * The refusal inside a JMX exception: the target's message, which starts with the reason, cleaned;
     * or the message of a {@link Deadline.NoAnswer}.
     */
    static Refused refusal(Throwable t) {
        Throwable c = t;
        while ((c instanceof RuntimeMBeanException || c instanceof UndeclaredThrowableException
                || c instanceof javax.management.MBeanException || c instanceof javax.management.ReflectionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof Deadline.NoAnswer) {
            return new Refused(c.getMessage(), t);
        }
        return new Refused(Text.clean(c.getMessage() != null ? c.getMessage() : c.toString()), t);
    }

    private static ObjectName name(String s) throws Refused {
        try {
            return new ObjectName(s);
        } catch (javax.management.MalformedObjectNameException e) {
            throw new Refused(e.getMessage(), e);
        }
    }

    /** Closes the connection, waiting for the target only while it has answered every call in time. */
    @Override
    public void close() {
        Deadline closing = Deadline.in(pid, timed.timeoutSeconds());
        java.util.concurrent.Future<Void> done = closing.start(() -> {
            connector.close();
            return null;
        });
        if (timed.answeredInTime()) {
            try {
                closing.await(done, "closing the connection");
            } catch (Exception ignored) {
                // the target may have ended or stopped answering: nothing left to close
            }
        }
    }
}
