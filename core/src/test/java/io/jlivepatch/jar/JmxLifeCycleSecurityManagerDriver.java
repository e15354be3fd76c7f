package io.jlivepatch.jar;

import io.jlivepatch.Livepatch;
import io.jlivepatch.control.ObjectNames;
import net.bytebuddy.agent.ByteBuddyAgent;

import javax.management.Attribute;
import javax.management.MBeanServer;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXAuthenticator;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXPrincipal;
import javax.management.remote.JMXServiceURL;
import javax.security.auth.Subject;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link JmxCallerSecurityManagerTest}'s JVM for a patch's whole life cycle: args are the patch JAR and where to write
 * the policy (the class path, jlivepatch's included, gets every permission; alice's subject the MBeans' access alone).
 * Under the SecurityManager alice loads the patch, enables it, disables it, asks a force (refused: no transition),
 * enables it again, disables it and unregisters it through an RMI connector that authenticated her; each is on
 * record as hers, ok but the force. Prints
 * {@code RESULT ok}; exits 1 otherwise.
 */
public final class JmxLifeCycleSecurityManagerDriver {

    private JmxLifeCycleSecurityManagerDriver() {
    }

    public static void main(String[] args) {
        try {
            run(args);
            System.out.println("RESULT ok");
            System.exit(0); // the connector's RMI threads
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
    }

    @SuppressWarnings("removal") // the SecurityManager under test
    private static void run(String[] args) throws Exception {
        Path policy = Path.of(args[1]);
        SecurityManagerDriver.grantTheClassPathAlone(policy);
        Files.writeString(policy, "grant principal javax.management.remote.JMXPrincipal \"alice\" {\n"
                + "    permission javax.management.MBeanPermission \"*\", \"*\";\n};\n", StandardOpenOption.APPEND);
        Livepatch.install(ByteBuddyAgent.install());
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName livepatch = ObjectNames.livepatch();
        awaitRegistered(server, livepatch);
        JMXAuthenticator authenticator = credentials -> new Subject(true,
                Set.of(new JMXPrincipal(((String[]) credentials)[0])), Set.of(), Set.of());
        JMXConnectorServer connector = JMXConnectorServerFactory.newJMXConnectorServer(
                new JMXServiceURL("service:jmx:rmi://127.0.0.1"),
                Map.of(JMXConnectorServer.AUTHENTICATOR, authenticator),
                server);
        connector.start();
        System.setSecurityManager(new SecurityManager());
        String name;
        try (JMXConnector alice = JMXConnectorFactory.connect(connector.getAddress(),
                Map.of(JMXConnector.CREDENTIALS, new String[] {"alice", "secret"}))) {
            MBeanServerConnection mbs = alice.getMBeanServerConnection();
            name = (String) mbs.invoke(livepatch, "load", new Object[] {args[0], false},
                    new String[] {String.class.getName(), boolean.class.getName()});
            ObjectName bean = ObjectNames.patch(name);
            awaitRegistered(server, bean);
            mbs.setAttribute(bean, new Attribute("Enabled", true));
            awaitSettled(mbs, bean);
            mbs.setAttribute(bean, new Attribute("Enabled", false));
            awaitSettled(mbs, bean);
            try {
                mbs.invoke(bean, "force", null, null); // no transition to force: refused by jlivepatch, not the SM
                throw new AssertionError("force without a transition was not refused");
            } catch (javax.management.RuntimeMBeanException expected) {
                if (!String.valueOf(expected.getCause().getMessage()).startsWith("ILLEGAL_STATE: ")) {
                    throw expected;
                }
            }
            mbs.setAttribute(bean, new Attribute("Enabled", true));
            awaitSettled(mbs, bean);
            mbs.setAttribute(bean, new Attribute("Enabled", false));
            awaitSettled(mbs, bean);
            mbs.invoke(bean, "unregister", null, null);
        } finally {
            connector.stop();
        }
        List<String> lines = new ArrayList<>();
        for (String line : (String[]) server.getAttribute(livepatch, "Log")) {
            if (line.contains(" " + name + " by ")) {
                lines.add(line);
            }
        }
        String all = String.join("\n", lines);
        if (!all.contains(" force " + name + " by jmx user alice: refused ILLEGAL_STATE")) {
            throw new AssertionError("expected alice's force refused ILLEGAL_STATE on record:\n" + all);
        }
        for (String step : List.of("load", "enable", "disable", "unregister")) {
            if (!all.contains(" " + step + " " + name + " by jmx user alice: ok")) {
                throw new AssertionError("expected '" + step + " " + name + " by jmx user alice: ok' on record:\n"
                        + all);
            }
        }
        if (all.replace("refused ILLEGAL_STATE", "").contains("refused")) {
            throw new AssertionError("a step of alice's was refused:\n" + all);
        }
    }

    private static void awaitRegistered(MBeanServer server, ObjectName bean) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!server.isRegistered(bean)) { // the agent's background thread registers the MBeans
            if (System.nanoTime() > end) {
                throw new AssertionError(bean + " was not registered within 30 s");
            }
            Thread.sleep(10);
        }
    }

    private static void awaitSettled(MBeanServerConnection mbs, ObjectName bean) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Boolean.TRUE.equals(mbs.getAttribute(bean, "Transition"))) {
            if (System.nanoTime() > end) {
                throw new AssertionError(bean + "'s transition did not end within 30 s");
            }
            Thread.sleep(10);
        }
    }
}
