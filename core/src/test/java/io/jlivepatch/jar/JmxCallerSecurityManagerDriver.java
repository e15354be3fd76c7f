package io.jlivepatch.jar;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchHandle;
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
 * {@link JmxCallerSecurityManagerTest}'s JVM: args are the patch JAR and where to write the policy (the class path,
 * jlivepatch's included, gets every permission; the client's subject the MBeans' access alone, as a policy for JMX
 * clients grants it by the name they log in with). Under the SecurityManager, alice writes the patch's Enabled wrong
 * (refused) and unregisters it through an RMI connector that authenticated her, and the audit names her for both.
 * Prints {@code RESULT ok}; exits 1 otherwise.
 */
public final class JmxCallerSecurityManagerDriver {

    private JmxCallerSecurityManagerDriver() {
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
        // What a policy for an authenticated JMX client grants: the MBeans' access, by the name it logged in with.
        Files.writeString(policy, "grant principal javax.management.remote.JMXPrincipal \"alice\" {\n"
                + "    permission javax.management.MBeanPermission \"*\", \"*\";\n};\n", StandardOpenOption.APPEND);
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        PatchHandle h = lp.load(Path.of(args[0]));
        ObjectName bean = ObjectNames.patch(h.name());
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!server.isRegistered(bean)) { // the agent's background thread registers the MBeans
            if (System.nanoTime() > end) {
                throw new AssertionError(bean + " was not registered within 30 s");
            }
            Thread.sleep(10);
        }
        JMXAuthenticator authenticator = credentials -> new Subject(true,
                Set.of(new JMXPrincipal(((String[]) credentials)[0])), Set.of(), Set.of());
        JMXConnectorServer connector = JMXConnectorServerFactory.newJMXConnectorServer(
                new JMXServiceURL("service:jmx:rmi://127.0.0.1"),
                Map.of(JMXConnectorServer.AUTHENTICATOR, authenticator),
                server);
        connector.start();
        System.setSecurityManager(new SecurityManager());
        try (JMXConnector alice = JMXConnectorFactory.connect(connector.getAddress(),
                Map.of(JMXConnector.CREDENTIALS, new String[] {"alice", "secret"}))) {
            MBeanServerConnection mbs = alice.getMBeanServerConnection();
            try {
                mbs.setAttribute(bean, new Attribute("Enabled", "no")); // refused on record, as the client's
                throw new AssertionError("Enabled 'no' was not refused");
            } catch (javax.management.InvalidAttributeValueException expected) {
                // on record: call <patch> by <requester>: refused INVALID_ARGUMENT
            }
            mbs.invoke(bean, "unregister", null, null);
        } finally {
            connector.stop();
        }
        List<String> lines = new ArrayList<>();
        for (String line : (String[]) server.getAttribute(ObjectNames.livepatch(), "Log")) {
            if (line.contains(" " + h.name() + " by ")) {
                lines.add(line);
            }
        }
        String all = String.join("\n", lines);
        if (!all.contains(" call " + h.name() + " by jmx user alice: refused INVALID_ARGUMENT")
                || !all.contains(" unregister " + h.name() + " by jmx user alice: ok")) {
            throw new AssertionError("expected the refused write and the unregister on record as jmx user alice's:\n"
                    + all);
        }
    }
}
