package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jlivepatch watch <pid> <dir>}: a running JVM started without jlivepatch follows a patch
 * directory from then on, as {@code patches=<dir>,watch=true} does from the start; what cannot be
 * honoured is refused with the reason and changes nothing.
 */
class WatchCommandIT {

    @TempDir
    Path dir;
    @TempDir
    Path staging;

    /** Waits up to a minute for the service to answer {@code expected}: the watch reconciles on its own thread. */
    private static void awaitAnswer(ServiceProcess service, String expected) throws Exception {
        String answer = service.call();
        for (int i = 0; i < 600 && !answer.equals(expected); i++) {
            Thread.sleep(100);
            answer = service.call();
        }
        assertEquals(expected, answer);
    }

    @Test
    void aRunningJvmFollowsTheDirectoryFromTheCommandOn() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("patches"));
        Files.copy(TestJars.greeterFixJar(staging), patches.resolve("10-fix-greet.jar"));
        try (ServiceProcess service = new ServiceProcess()) {
            assertEquals(ORIGINAL, service.call());
            Cli watch = Cli.run("watch", service.pid(), patches, "--interval", "1");
            assertEquals(0, watch.exitCode(), watch.toString());
            assertTrue(watch.out().startsWith("pid " + service.pid() + " watches " + patches + ": converged\n"
                    + "  desired: fix-greet\n  stack:   fix-greet\n"), watch.toString());
            assertEquals(GREET_FIXED, service.call());

            Files.delete(patches.resolve("10-fix-greet.jar"));
            awaitAnswer(service, ORIGINAL);

            Cli again = Cli.run("watch", service.pid(), patches, "--interval", "1");
            assertEquals(0, again.exitCode(), "the same directory and options: reconciled now; " + again);

            // The answer is the reconcile that ran for this request, not the last one before it.
            Files.write(patches.resolve("20-broken.jar"), new byte[] {'P', 'K', 3, 4});
            Files.setLastModifiedTime(patches.resolve("20-broken.jar"),
                    java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
            Cli broken = Cli.run("watch", service.pid(), patches, "--interval", "1");
            assertEquals(1, broken.exitCode(), broken.toString());
            assertTrue(broken.out().contains(": failed: INVALID_PATCH: patch JAR " + patches.resolve("20-broken.jar")),
                    broken.toString());
            Files.delete(patches.resolve("20-broken.jar"));

            Cli other = Cli.run("watch", service.pid(), staging);
            assertEquals(1, other.exitCode(), other.toString());
            assertTrue(other.err().contains("refused: ILLEGAL_STATE: this JVM already watches patches=" + patches
                    + ",watch=true,interval=1,timeout=30"), other.toString());

            Cli status = Cli.run("status", service.pid(), "--log");
            for (int i = 0; i < 600 && !status.out().contains("  watching " + patches + ": converged;"); i++) {
                Thread.sleep(100); // the broken JAR's removal is the watch thread's to see
                status = Cli.run("status", service.pid(), "--log");
            }
            assertTrue(status.out().contains("  watching " + patches + ": converged; desired: no patch;"),
                    status.toString());
            assertTrue(status.out().contains("load fix-greet by watch: ok (registered, enabled)")
                    && status.out().contains("disable fix-greet by watch: ok")
                    && status.out().contains("watch " + patches + " by pid "), status.toString());
        }
    }

    /**
     * An attach whose arguments ask for a watch of another directory than the one watched is refused
     * as the command's watch is, and on record as it is: the audit log has who asked and why.
     */
    @Test
    void aWatchRefusedThroughAnAttachIsOnRecordAsOneRefusedOverTheSocketIs() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("watched"));
        Path other = Files.createDirectory(dir.resolve("other"));
        try (ServiceProcess service = new ServiceProcess()) {
            Cli watch = Cli.run("watch", service.pid(), patches, "--interval", "86400");
            assertEquals(0, watch.exitCode(), watch.toString());
            com.sun.tools.attach.VirtualMachine vm = com.sun.tools.attach.VirtualMachine.attach(
                    Long.toString(service.pid()));
            try {
                vm.loadAgent(TestJars.AGENT.toString(), "patches=" + other + ",watch=true");
            } finally {
                vm.detach();
            }
            Cli status = Cli.run("status", service.pid(), "--log");
            assertTrue(status.out().lines().anyMatch(l -> l.contains(" watch " + other + " by attach: refused"
                    + " ILLEGAL_STATE: this JVM already watches patches=" + patches)), status.toString());
            assertTrue(status.out().contains("  watching " + patches + ": "), "the watch stays: " + status);
            assertEquals(ORIGINAL, service.call());
        }
    }

    @Test
    void aChangeByHandToAWatchedJvmIsMadeWithAWarningThatTheNextReconcileUndoesIt() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("watched"));
        Path jar = TestJars.greeterFixJar(staging);
        Files.copy(jar, patches.resolve("10-fix-greet.jar"));
        try (ServiceProcess service = new ServiceProcess()) {
            Cli unwatched = Cli.run("load", service.pid(), jar);
            assertEquals(0, unwatched.exitCode(), unwatched.toString());
            assertTrue(!unwatched.err().contains("warning"), "no watch, no warning: " + unwatched);
            assertEquals(0, Cli.run("unload", service.pid(), "fix-greet").exitCode());

            // An interval no test waits for: only the watch command below reconciles again.
            Cli watch = Cli.run("watch", service.pid(), patches, "--interval", "86400");
            assertEquals(0, watch.exitCode(), watch.toString());
            assertEquals(GREET_FIXED, service.call());

            Cli disable = Cli.run("disable", service.pid(), "fix-greet");
            assertEquals(0, disable.exitCode(), "made all the same: " + disable);
            assertTrue(disable.err().startsWith("jlivepatch: warning: pid " + service.pid() + " follows the patch"
                    + " directory " + patches + " (a watch): its next reconcile (the directory's next change, or the"
                    + " watch's interval) puts the directory's stack back, undoing a change made here"), disable.toString());
            assertEquals(ORIGINAL, service.call());
            Cli force = Cli.run("force", service.pid(), "fix-greet");
            assertTrue(!force.err().contains("warning"), "force changes no stack: " + force);
            Cli status = Cli.run("status", service.pid());
            assertTrue(status.out().contains("  watching " + patches + ": drifted: "), status.toString());

            Cli again = Cli.run("watch", service.pid(), patches, "--interval", "86400");
            assertEquals(0, again.exitCode(), "the reconcile the warning spoke of: " + again);
            assertEquals(GREET_FIXED, service.call());
        }
    }

    @Test
    void aReconcileWhoseTransitionIsHeldIsReportedAsStillApplyingNeverAsConverged() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("held"));
        TestJars.holdFixJar(patches);
        try (ServiceProcess service = new ServiceProcess()) {
            service.hold(); // a thread inside the patched method: the reconcile's enable cannot end
            Cli watch = Cli.run("watch", service.pid(), patches, "--wait", "3", "--transition-timeout", "120");
            assertEquals(3, watch.exitCode(), watch.toString());
            assertTrue(watch.out().startsWith("pid " + service.pid() + " watches " + patches
                    + ": still applying after 3 s\n"), watch.toString());
            assertTrue(watch.out().contains("('jlivepatch status " + service.pid() + "' follows it)"),
                    watch.toString());

            service.release(); // the transition ends, and with it the reconcile
            Cli status = Cli.run("status", service.pid());
            for (int i = 0; i < 600 && !status.out().contains("  watching " + patches + ": converged;"); i++) {
                Thread.sleep(100);
                status = Cli.run("status", service.pid());
            }
            assertTrue(status.out().contains("  watching " + patches + ": converged; desired: fix-hold;")
                    && status.out().contains("1. fix-hold [enabled]"), status.toString());
        }
    }

    @Test
    void aDirectoryThatDoesNotExistYetIsWaitedForAndBadOptionsAreUsageErrors() throws Exception {
        Path later = dir.resolve("later");
        try (ServiceProcess service = new ServiceProcess()) {
            Cli watch = Cli.run("watch", service.pid(), later, "--interval", "1");
            assertEquals(3, watch.exitCode(), watch.toString());
            assertTrue(watch.out().contains("waiting: patch directory " + later + " does not exist (yet)"),
                    watch.toString());

            Files.createDirectory(later);
            Files.copy(TestJars.greeterFixJar(staging), later.resolve("fix.jar"));
            awaitAnswer(service, GREET_FIXED);

            Cli usage = Cli.run("watch", service.pid(), later, "--transition-timeout", "0");
            assertEquals(2, usage.exitCode(), usage.toString());
            assertTrue(usage.err().contains("--transition-timeout must be between 1 and 3600 seconds, not 0"),
                    usage.toString());
        }
    }
}
