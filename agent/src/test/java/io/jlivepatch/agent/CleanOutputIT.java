package io.jlivepatch.agent;

import com.sun.tools.attach.VirtualMachine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** What the jlivepatch command prints holds no raw control character, whatever the target or the user gave it. */
class CleanOutputIT {

    /** What a manifest value may hold: no line end, but ESC, C1, separators and bidi controls. */
    private static final String HOSTILE = "\u001b[31mred\u001b[0m\u0085\u2028\u2029\u202etxt.exe";

    @TempDir
    Path dir;

    private ServiceProcess service;

    @BeforeEach
    void startService() throws Exception {
        service = new ServiceProcess();
    }

    @AfterEach
    void stopService() throws Exception {
        service.close();
    }

    @Test
    void aHostileDescriptionIsPrintedEscapedByStatusAndItsJson() throws Exception {
        Path jar = TestJars.patchJar(dir, "fix.jar", Map.of("Livepatch-Name", "fix-greet",
                "Livepatch-Description", "trims" + HOSTILE, "Livepatch-Class", "agentapp.fix.GreeterFix"),
                "agentapp.fix.GreeterFix");
        Cli load = Cli.run("load", service.pid(), jar);
        assertEquals(0, load.exitCode(), load.toString());
        assertClean(load);
        assertEquals(GREET_FIXED, service.call());

        Cli status = Cli.run("status", service.pid());
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.out().contains("     trims\\e[31mred\\e[0m\\u0085\\u2028\\u2029\\u202etxt.exe\n"), status.toString());
        assertClean(status);
        Cli json = Cli.run("status", service.pid(), "--json");
        assertTrue(json.out().contains("\"description\":\"trims\\u001b[31mred\\u001b[0m\\u0085\\u2028\\u2029\\u202etxt.exe\""),
                json.toString());
        assertClean(json);
    }

    @Test
    void aPathWithANewlineCannotForgeAnAuditLine() throws Exception {
        assertEquals(0, Cli.run("load", service.pid(), TestJars.greeterFixJar(dir)).exitCode());
        String forged = dir.resolve("x.jar\n2030-01-01T00:00:00Z unregister fix-greet: ok\u001b[1A").toString();
        try (JMXConnector c = jmx(service.pid())) {
            MBeanServerConnection mbs = c.getMBeanServerConnection();
            Exception e = assertThrows(Exception.class, () -> mbs.invoke(new ObjectName("io.jlivepatch:type=Livepatch"),
                    "load", new Object[] {forged, true}, new String[] {String.class.getName(), boolean.class.getName()}));
            assertTrue(String.valueOf(e.getMessage()).contains("INVALID_PATCH") || String.valueOf(e.getCause()).contains("INVALID_PATCH"),
                    String.valueOf(e));
        }
        Cli log = Cli.run("status", service.pid(), "--log");
        assertEquals(0, log.exitCode(), log.toString());
        assertClean(log);
        long forgedLines = log.out().lines().filter(l -> l.trim().startsWith("2030-")).count();
        assertEquals(0, forgedLines, log.toString());
        assertTrue(log.out().contains("x.jar\\n2030-01-01T00:00:00Z unregister fix-greet: ok\\e[1A"), log.toString());
        assertEquals(GREET_FIXED, service.call());
    }

    @Test
    void userInputAndTargetMessagesInRefusalsAreEscaped() throws Exception {
        assertEquals(0, Cli.run("load", service.pid(), TestJars.greeterFixJar(dir)).exitCode());
        Cli enable = Cli.run("enable", service.pid(), "\u001b]0;pwned\u0007x\ny");
        assertEquals(1, enable.exitCode(), enable.toString());
        assertTrue(enable.err().contains("no patch '\\e]0;pwned\\u0007x\\ny' is registered in pid " + service.pid()
                + " (registered: fix-greet)"), enable.toString());
        assertClean(enable);

        Path notJar = Files.writeString(dir.resolve("evil\u001b[2J\u2028.jar"), "not a jar");
        Cli load = Cli.run("load", service.pid(), notJar);
        assertEquals(1, load.exitCode(), load.toString());
        // the refusal names the path escaped, the command escapes the refusal as it prints it: doubled
        assertTrue(load.err().contains("evil\\\\e[2J\\\\u2028.jar"), load.toString());
        assertClean(load);

        Cli usage = Cli.run("status", "\u001b[31m42");
        assertEquals(2, usage.exitCode(), usage.toString());
        assertClean(usage);

        Cli status = Cli.run("status", service.pid());
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.out().contains("1. fix-greet [enabled]"), status.toString());
        assertEquals(GREET_FIXED, service.call());
    }

    @Test
    void helpHasNoColourEscapes() {
        for (String command : new String[] {"--help", "load --help", "status --help"}) {
            Cli help = Cli.run((Object[]) command.split(" "));
            assertEquals(0, help.exitCode(), help.toString());
            assertTrue(help.out().contains("--timeout") || command.equals("--help"), help.toString());
            assertClean(help);
        }
    }

    /** No control character but the line feed, no line or paragraph separator, no bidi override. */
    private static void assertClean(Cli c) {
        for (String s : new String[] {c.out(), c.err()}) {
            for (int i = 0; i < s.length(); i++) {
                char ch = s.charAt(i);
                if (ch != '\n' && (Character.isISOControl(ch) || Character.getType(ch) == Character.FORMAT
                        || ch == '\u2028' || ch == '\u2029')) {
                    fail("raw U+" + Integer.toHexString(ch) + " at " + i + " in\n" + c);
                }
            }
        }
    }

    private static JMXConnector jmx(long pid) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        try {
            return JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()));
        } finally {
            vm.detach();
        }
    }
}
