package io.jlivepatch.jar;

import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.ObjectNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.Attribute;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A change asked through a JMX connector that authenticated its client (a remote JConsole with
 * {@code com.sun.management.jmxremote.authenticate}; here an RMI connector server with a JMXAuthenticator) is on
 * record with the user the client logged in as, {@code jmx user alice}, and so is the patch's provenance
 * ({@code LoadedBy}); before, every such line said {@code jmx}, whoever asked. A call without a subject (the
 * application's own, in-process) stays {@code jmx}.
 */
class JmxAuthenticatedCallerAuditTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws Exception {
        Jars.removeAll();
    }

    @Test
    void aChangeThroughAnAuthenticatingConnectorNamesTheUserItAuthenticated() throws Exception {
        String name = "fix-jmx-alice";
        Path jar = Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, Jars.FIX), Jars.classes(Jars.FIX));
        String file = " [file " + jar + " sha256 " + io.jlivepatch.internal.Sha256.hex(Files.readAllBytes(jar)) + "]";
        Jars.lp(); // installed, and its MBeans up
        Jars.statusText();
        JMXAuthenticator authenticator = credentials -> {
            String[] userAndPassword = (String[]) credentials;
            if (!"secret".equals(userAndPassword[1])) {
                throw new SecurityException("bad password");
            }
            return new Subject(true, Set.of(new JMXPrincipal(userAndPassword[0])), Set.of(), Set.of());
        };
        JMXConnectorServer server = JMXConnectorServerFactory.newJMXConnectorServer(
                new JMXServiceURL("service:jmx:rmi://127.0.0.1"), Map.of(JMXConnectorServer.AUTHENTICATOR, authenticator),
                ManagementFactory.getPlatformMBeanServer());
        server.start();
        try (JMXConnector alice = JMXConnectorFactory.connect(server.getAddress(),
                Map.of(JMXConnector.CREDENTIALS, new String[] {"alice", "secret"}))) {
            MBeanServerConnection mbs = alice.getMBeanServerConnection();
            mbs.invoke(new ObjectName(ObjectNames.LIVEPATCH), "load", new Object[] {jar.toString(), false},
                    new String[] {String.class.getName(), boolean.class.getName()});
            ObjectName bean = ObjectNames.patch(name);
            assertEquals("jmx user alice", mbs.getAttribute(bean, "LoadedBy"));
            mbs.setAttribute(bean, new Attribute("Enabled", true));
            PatchHandle h = Jars.lp().find(name).orElseThrow();
            assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
            // a value that is not a boolean: refused on record, as the same user's
            mbs.setAttributes(bean, new javax.management.AttributeList(List.of(new Attribute("Enabled", "no"))));
            ManagementFactory.getPlatformMBeanServer().setAttribute(bean, new Attribute("Enabled", false)); // in-process
            assertFalse(h.isEnabled());
            mbs.invoke(bean, "unregister", null, null);
        } finally {
            server.stop();
        }
        List<String> lines = new ArrayList<>();
        for (String l : Jars.auditLog()) {
            if (l.contains(" " + name + " by ")) {
                lines.add(l);
            }
        }
        lines = lines.subList(lines.size() - 7, lines.size());
        List<String> expected = List.of(
                " load " + name + " by jmx user alice: ok (registered)" + file,
                " enable " + name + " by jmx user alice: ok" + file,
                " transition " + name + " by jmx user alice: ok (patching complete)" + file,
                " call " + name + " by jmx user alice: refused INVALID_ARGUMENT: Enabled takes true or false",
                " disable " + name + " by jmx: ok" + file,
                " transition " + name + " by jmx: ok (unpatching complete)" + file,
                " unregister " + name + " by jmx user alice: ok" + file);
        for (int i = 0; i < expected.size(); i++) {
            assertTrue(i == 3 ? lines.get(i).contains(expected.get(i)) : lines.get(i).endsWith(expected.get(i)),
                    "line " + i + ", expected '..." + expected.get(i) + "' in:\n" + String.join("\n", lines));
        }
    }
}
