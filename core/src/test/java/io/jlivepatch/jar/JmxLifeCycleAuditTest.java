package io.jlivepatch.jar;

import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.ObjectNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.Attribute;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every step of a patch's life cycle asked through JMX (the MBeans {@code jlivepatch} and JConsole use) is on
 * record once, in order, as the {@code jmx} requester's, with the patch JAR's file and SHA-256; and when two
 * entry points take turns on one patch (the application's API reversing what JMX started, JMX enabling it again),
 * each line names who asked that step, and each transition's end is credited to whoever started or last turned it.
 */
class JmxLifeCycleAuditTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws Exception {
        Jars.removeAll();
    }

    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    private Path jar(String name) throws Exception {
        Map<String, String> manifest = new LinkedHashMap<>(Jars.manifest(name, Jars.FIX));
        manifest.put("Livepatch-Hold", jarapp.Gate.HOLD);
        return Jars.write(dir.resolve(name + ".jar"), manifest, Jars.classes(Jars.FIX));
    }

    /** This patch's lines of the audit log from the one that contains {@code from} on. */
    private static List<String> linesOf(String patch, String from) throws Exception {
        List<String> mine = new ArrayList<>();
        for (String l : Jars.auditLog()) {
            if (l.contains(" " + patch + " by ")) {
                mine.add(l);
            }
        }
        for (int i = mine.size() - 1; i >= 0; i--) {
            if (mine.get(i).contains(from)) {
                return mine.subList(i, mine.size());
            }
        }
        throw new AssertionError("no '" + from + "' in " + mine);
    }

    private static ObjectName livepatch() throws Exception {
        Jars.lp(); // installed
        Jars.statusText(); // waits until the MBeans are up
        return new ObjectName(ObjectNames.LIVEPATCH);
    }

    @Test
    void eachStepThroughJmxIsOneLineOfTheJmxRequesterWithItsJar() throws Exception {
        String name = "fix-jmx-steps";
        Path jar = jar(name);
        String sha = io.jlivepatch.internal.Sha256.hex(Files.readAllBytes(jar));
        String file = " [file " + jar + " sha256 " + sha + "]";
        SERVER.invoke(livepatch(), "load", new Object[] {jar.toString(), false},
                new String[] {String.class.getName(), boolean.class.getName()});
        ObjectName bean = ObjectNames.patch(name);
        PatchHandle h = Jars.lp().find(name).orElseThrow();
        try (jarapp.Gate.Held gate = jarapp.Gate.hold()) {
            SERVER.setAttribute(bean, new Attribute("Enabled", true)); // held by the thread in the gate
            assertTrue(h.inTransition());
            SERVER.invoke(bean, "force", null, null);
            assertFalse(h.inTransition());
            SERVER.setAttribute(bean, new Attribute("Enabled", false)); // held again
            assertTrue(h.inTransition());
            gate.open();
        }
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        SERVER.invoke(bean, "unregister", null, null);
        assertFalse(h.isRegistered());

        List<String> lines = linesOf(name, " load " + name + " by ");
        List<String> expected = List.of(
                " load " + name + " by jmx: ok (registered)" + file,
                " enable " + name + " by jmx: ok" + file,
                " force " + name + " by jmx: ok" + file,
                " transition " + name + " by jmx: ok (patching complete, forced)" + file,
                " disable " + name + " by jmx: ok" + file,
                " transition " + name + " by jlivepatch (for jmx): ok (unpatching complete)" + file,
                " unregister " + name + " by jmx: ok" + file);
        assertEquals(expected.size(), lines.size(), String.join("\n", lines));
        for (int i = 0; i < expected.size(); i++) {
            assertTrue(lines.get(i).endsWith(expected.get(i)), "line " + i + ", expected '..." + expected.get(i)
                    + "' in:\n" + String.join("\n", lines));
        }
    }

    @Test
    void aTransitionTurnedByTwoEntryPointsNamesWhoAskedEachStepAndEachEndOnItsStartersAccount() throws Exception {
        String name = "fix-jmx-turns";
        Path jar = jar(name);
        String file = " [file " + jar + " sha256 " + io.jlivepatch.internal.Sha256.hex(Files.readAllBytes(jar)) + "]";
        PatchHandle h = Jars.lp().load(jar); // the application's
        ObjectName bean = ObjectNames.patch(name);
        Jars.statusText();
        try (jarapp.Gate.Held gate = jarapp.Gate.hold()) {
            SERVER.setAttribute(bean, new Attribute("Enabled", true)); // jmx starts it, held
            assertTrue(h.inTransition());
            // The application reverses it: the thread in the gate never moved, so the reversed transition ends
            // within the call (the kernel's rule), on the application's account.
            h.disable();
            assertFalse(h.inTransition());
            SERVER.setAttribute(bean, new Attribute("Enabled", true)); // jmx again, held again
            assertTrue(h.inTransition());
            gate.open();
        }
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertTrue(h.isEnabled());
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));

        List<String> lines = linesOf(name, " load " + name + " by ");
        List<String> expected = List.of(
                " load " + name + " by api: ok (registered)" + file,
                " enable " + name + " by jmx: ok" + file,
                " disable " + name + " by api: ok (transition reversed)" + file,
                " transition " + name + " by api: ok (unpatching complete)" + file,
                " enable " + name + " by jmx: ok" + file,
                " transition " + name + " by jlivepatch (for jmx): ok (patching complete)" + file,
                " disable " + name + " by api: ok" + file,
                " transition " + name + " by api: ok (unpatching complete)" + file);
        assertEquals(expected.size(), lines.size(), String.join("\n", lines));
        for (int i = 0; i < expected.size(); i++) {
            assertTrue(lines.get(i).endsWith(expected.get(i)), "line " + i + ", expected '..." + expected.get(i)
                    + "' in:\n" + String.join("\n", lines));
        }
    }
}
