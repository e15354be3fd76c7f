package io.jlivepatch.agent;

import com.sun.tools.attach.VirtualMachine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Start-up patches for an application whose classes only a class loader made after premain can
 * load (Spring Boot's JarLauncher and its LaunchedClassLoader, reduced to {@code launcher.Launcher}):
 * the patch is named in a WARNING as waiting for its loader, and loaded once that loader defines a
 * class, in file-name order; never silently skipped.
 */
class LaunchedLoaderIT {

    @TempDir
    Path dir;

    private static void copyClass(Path to, String className) throws IOException {
        String entry = className.replace('.', '/') + ".class";
        Path target = to.resolve(entry);
        Files.createDirectories(target.getParent());
        Files.copy(TestJars.TEST_CLASSES.resolve(entry), target);
    }

    /** The launcher's class path, the application's directory and a patch directory with fix-fat. */
    private Path[] layout() throws IOException {
        Path launcher = Files.createDirectories(dir.resolve("launcher"));
        copyClass(launcher, "launcher.Launcher");
        Path app = Files.createDirectories(dir.resolve("app"));
        copyClass(app, "fatapp.App");
        copyClass(app, "fatapp.Pricing");
        Path patches = Files.createDirectories(dir.resolve("patches"));
        TestJars.patchJar(patches, "10-fix-fat.jar", Map.of("Livepatch-Name", "fix-fat",
                "Livepatch-Class", "fatapp.fix.PricingFix"), "fatapp.fix.PricingFix");
        return new Path[] {launcher, app, patches};
    }

    /**
     * Asks for quote(7) until the answer is the patched one: the patch goes in on jlivepatch's thread
     * once the launcher's loader defines a class (a minute at most; it takes milliseconds).
     */
    private static void awaitPatched(BufferedReader out, PrintWriter in, Path log) throws Exception {
        assertEquals("ready", out.readLine());
        String answer = "";
        for (int i = 0; i < 600 && !answer.equals("quote=70"); i++) {
            in.println(7);
            answer = out.readLine();
            if (!answer.equals("quote=70")) {
                Thread.sleep(100);
            }
        }
        assertEquals("quote=70", answer, Files.readString(log));
    }

    @Test
    void aStartupPatchWaitsForTheLoaderOfItsClassesAndIsLoadedThere() throws Exception {
        Path[] layout = layout();
        Path launcher = layout[0];
        Path app = layout[1];
        Path patches = layout[2];
        TestJars.patchJar(patches, "20-fix-later.jar", Map.of("Livepatch-Name", "fix-later",
                "Livepatch-Class", "fatapp.fix.PricingFix"), "fatapp.fix.PricingFix");
        Path log = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(TestJars.java(), "-javaagent:" + TestJars.AGENT + "=patches=" + patches,
                "-cp", launcher.toString(), "launcher.Launcher", app.toString())
                .redirectError(log.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8)) {
            awaitPatched(out, in, log);

            // fix-later goes in right after fix-fat, on the same thread; both answer 70: wait for it.
            Cli status = Cli.run("status", p.pid());
            for (int i = 0; i < 600 && !status.out().contains("2. fix-later [enabled]"); i++) {
                Thread.sleep(100);
                status = Cli.run("status", p.pid());
            }
            assertTrue(status.out().contains("1. fix-fat [enabled]") && status.out().contains("fatapp.Pricing.quote(I)I"
                    + " [launched@") && status.out().contains("]: patched"), status.toString());
            assertTrue(status.out().contains("2. fix-later [enabled]"), "the next JAR waited behind it, in order: "
                    + status);
            // On record, as in the log: the JAR behind waited, then loaded.
            List<String> trail = Cli.run("status", p.pid(), "--log").out().lines().toList();
            int waited = indexOf(trail, " load " + patches.resolve("20-fix-later.jar") + " by startup: waiting: behind "
                    + patches.resolve("10-fix-fat.jar") + ", which waits for its class loader");
            int loaded = indexOf(trail, " load fix-later by startup: ok");
            assertTrue(waited >= 0 && loaded > waited, String.join("\n", trail));
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String stderr = Files.readString(log);
        assertTrue(stderr.contains("'fix-fat' from " + patches.resolve("10-fix-fat.jar") + " waits for a class loader"
                + " that can load its classes (java.lang.NoClassDefFoundError: fatapp/Pricing)"), stderr);
        // The first try's refusal, logged before that line, says why it cannot be checked yet, not only that it cannot.
        assertTrue(stderr.contains("is made after start-up (a Spring Boot fat JAR's, an application server's), a"
                + " start-up directory or a watched one loads the patch as soon as one can (nothing to do); a"
                + " 'jlivepatch load' must be run again then"), stderr);
        assertTrue(stderr.contains(patches.resolve("20-fix-later.jar") + " waits behind "
                + patches.resolve("10-fix-fat.jar")), stderr);
        List<String> loaded = stderr.lines().filter(l -> l.contains("loaded from") && l.contains("once a class loader"))
                .toList();
        assertEquals(2, loaded.size(), stderr);
        assertTrue(loaded.get(0).contains("'fix-fat'") && loaded.get(1).contains("'fix-later'"), stderr);
    }

    private static int indexOf(List<String> lines, String part) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(part)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void aPatchGivenByAnAttachWaitsForItsLoaderAndIsAuditedAsTheAttachsWhenItLoads() throws Exception {
        Path[] layout = layout();
        Path launcher = layout[0];
        Path app = layout[1];
        Path patches = layout[2];
        copyClass(launcher, "launcher.LateLauncher");
        Path log = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(TestJars.java(), "-XX:+IgnoreUnrecognizedVMOptions",
                "-XX:+EnableDynamicAgentLoading", "-cp", launcher.toString(), "launcher.LateLauncher", app.toString())
                .redirectError(log.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8)) {
            assertEquals("waiting", out.readLine());
            VirtualMachine vm = VirtualMachine.attach(Long.toString(p.pid()));
            try {
                vm.loadAgent(TestJars.AGENT.toString(), "patches=" + patches); // fix-fat waits: no loader can load it
            } finally {
                vm.detach();
            }
            // Status says why the directory's JAR is not in the stack, and who gave it.
            String waits = "\n  attach: waiting " + patches.resolve("10-fix-fat.jar")
                    + ": for a class loader that can load its classes\n";
            Cli waiting = Cli.run("status", p.pid());
            assertTrue(waiting.out().contains(waits), waiting.toString());
            in.println(); // the launcher makes the application's loader now
            awaitPatched(out, in, log);
            Cli audit = Cli.run("status", p.pid(), "--log");
            assertFalse(audit.out().contains("attach: waiting"), "loaded: no longer listed as waiting: " + audit);
            List<String> fixFat = audit.out().lines().filter(l -> l.contains(" load fix-fat by ")).toList();
            assertEquals(2, fixFat.size(), audit.toString());
            assertTrue(fixFat.get(0).contains(" load fix-fat by attach: refused ")
                    && fixFat.get(1).contains(" load fix-fat by attach: ok"), "the retry is the attach's too: " + audit);
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * A JVM of {@code launcher.ShortWaitLauncher}: jlivepatch's wait for start-up patches shortened to
     * {@code seconds}, a thread sitting in {@code ShortWaitLauncher.sit} for good; the agent JAR on the
     * class path, attached later with {@code patches=}.
     */
    private Process shortWait(Path launcher, Path app, int seconds, Path log, String... interrupt) throws IOException {
        copyClass(launcher, "launcher.LateLauncher");
        copyClass(launcher, "launcher.ShortWaitLauncher");
        List<String> command = new java.util.ArrayList<>(List.of(TestJars.java(), "-XX:+IgnoreUnrecognizedVMOptions",
                "-XX:+EnableDynamicAgentLoading", "-cp", launcher + java.io.File.pathSeparator + TestJars.AGENT,
                "launcher.ShortWaitLauncher", app.toString(), Integer.toString(seconds)));
        command.addAll(List.of(interrupt));
        return new ProcessBuilder(command).redirectError(log.toFile()).start();
    }

    private static String readQuietly(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /**
     * What ShortWaitLauncher's interrupter wrote once the waiting thread, interrupted, parked again with
     * the interrupt cleared, or did not within its 30 seconds: a hang detector of a minute, not a timing.
     */
    private static String awaitVerdict(Path verdict) throws Exception {
        for (int i = 0; i < 600 && !Files.exists(verdict); i++) {
            Thread.sleep(100);
        }
        assertTrue(Files.exists(verdict), "the interrupter wrote nothing within a minute");
        return Files.readString(verdict);
    }

    private static void attach(Process p, Path patches) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(p.pid()));
        try {
            vm.loadAgent(TestJars.AGENT.toString(), "patches=" + patches);
        } finally {
            vm.detach();
        }
    }

    /** The audit line that contains {@code part}, once there: a hang detector of a minute, not a timing. */
    private static String awaitRecord(Process p, String part) throws Exception {
        for (int i = 0; i < 600; i++) {
            for (String line : Cli.run("status", p.pid(), "--log").out().lines().toList()) {
                if (line.contains(part)) {
                    return line;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no record with " + part + " within a minute: "
                + Cli.run("status", p.pid(), "--log").out());
    }

    @Test
    void aJarBehindAPatchWhoseTransitionNeverEndsIsSaidToHaveWaitedForThatTransition() throws Exception {
        Path[] layout = layout();
        Path launcher = layout[0];
        Path app = layout[1];
        Path patches = layout[2];
        Path fat = patches.resolve("10-fix-fat.jar");
        Path later = patches.resolve("20-fix-later.jar");
        // fix-fat holds the method the launcher's thread sits in: its transition never ends.
        TestJars.patchJar(patches, "10-fix-fat.jar", Map.of("Livepatch-Name", "fix-fat",
                "Livepatch-Class", "fatapp.fix.PricingFix",
                "Livepatch-Hold", "launcher.ShortWaitLauncher.sit(Ljava/util/concurrent/CountDownLatch;)V"),
                "fatapp.fix.PricingFix");
        TestJars.patchJar(patches, "20-fix-later.jar", Map.of("Livepatch-Name", "fix-later",
                "Livepatch-Class", "fatapp.fix.PricingFix"), "fatapp.fix.PricingFix");
        Path log = dir.resolve("stderr.txt");
        // 15 seconds: the application's loader comes within milliseconds of the line below, well before.
        Process p = shortWait(launcher, app, 15, log);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8)) {
            assertEquals("waiting", out.readLine());
            attach(p, patches); // both wait: no loader can load fix-fat's classes yet, fix-later is behind it
            in.println(); // the launcher makes the application's loader: fix-fat loads there, fix-later waits for it
            assertEquals("ready", out.readLine());
            String record = awaitRecord(p, " load " + later + " by attach: refused: never loaded");
            String why = "never loaded: it waited for the transition of 'fix-fat' (enabled just before it, from "
                    + fat + ") to end, and it had not ended ";
            assertTrue(record.contains(why) && record.endsWith(" later, when the wait ended (15 seconds after the"
                    + " attach); 'jlivepatch status <pid>' names the threads that hold it and 'jlivepatch force <pid>"
                    + " fix-fat' ends it; once it has ended, load this JAR with 'jlivepatch load <pid> " + later + "'"),
                    record);
            assertFalse(record.contains("no class loader"), "its loader had come: fix-fat loaded there: " + record);
            Cli status = Cli.run("status", p.pid());
            assertTrue(status.out().contains("\n  attach: skipped " + later + ": " + why), status.toString());
            assertTrue(status.out().contains("1. fix-fat [enabled"), status.toString());
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String stderr = Files.readString(log);
        assertTrue(stderr.contains(later + " was never loaded: it waited for the transition of 'fix-fat'"), stderr);
    }

    /**
     * The first JAR waited for its loader, which never came; the JAR behind it was never asked about its own
     * classes, and is said to have waited behind the first. Before, it said no class loader for its classes
     * had appeared, as the first did.
     */
    @Test
    void aJarWhoseLoaderNeverComesIsSaidToHaveWaitedForItsLoader() throws Exception {
        Path[] layout = layout();
        Path fat = layout[2].resolve("10-fix-fat.jar");
        Path later = layout[2].resolve("20-fix-later.jar");
        TestJars.patchJar(layout[2], "20-fix-later.jar", Map.of("Livepatch-Name", "fix-later",
                "Livepatch-Class", "fatapp.fix.PricingFix"), "fatapp.fix.PricingFix");
        Path log = dir.resolve("stderr.txt");
        Process p = shortWait(layout[0], layout[1], 2, log);
        String whyBehind = "never loaded: it waited behind " + fat + ", for which no class loader that can load its"
                + " classes appeared within 2 seconds of the attach; load " + fat + " and then this JAR with"
                + " 'jlivepatch load <pid> " + later + "' once the application is up";
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("waiting", out.readLine());
            attach(p, layout[2]); // and no line: the application's loader is never made
            String why = "never loaded: no class loader that can load its classes appeared within 2 seconds of the"
                    + " attach; load it with 'jlivepatch load <pid> " + fat + "' once the application is up";
            String record = awaitRecord(p, " load " + fat + " by attach: refused: never loaded");
            assertTrue(record.endsWith(why), record);
            String behind = awaitRecord(p, " load " + later + " by attach: refused: never loaded");
            assertTrue(behind.endsWith(whyBehind), behind);
            Cli status = Cli.run("status", p.pid());
            assertTrue(status.out().contains("\n  attach: skipped " + fat + ": " + why), status.toString());
            assertTrue(status.out().contains("\n  attach: skipped " + later + ": " + whyBehind), status.toString());
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String stderr = Files.readString(log);
        assertTrue(stderr.contains(fat + " was " + "never loaded: no class loader"), stderr);
        assertTrue(stderr.contains(later + " was " + whyBehind), stderr);
    }

    /**
     * An application that interrupts jlivepatch's thread as it waits for the transition of the patch
     * before (code that interrupts every thread): before, the wait ended there, the interrupt set again,
     * and the thread spun on its parks (each returning at once) until the deadline, then said the JAR
     * behind had waited for its class loader. Now the wait goes on, the interrupt cleared.
     */
    @Test
    void anInterruptOfTheThreadWaitingForATransitionLeavesItWaitingForThatTransition() throws Exception {
        Path[] layout = layout();
        Path patches = layout[2];
        Path later = patches.resolve("20-fix-later.jar");
        TestJars.patchJar(patches, "10-fix-fat.jar", Map.of("Livepatch-Name", "fix-fat",
                "Livepatch-Class", "fatapp.fix.PricingFix",
                "Livepatch-Hold", "launcher.ShortWaitLauncher.sit(Ljava/util/concurrent/CountDownLatch;)V"),
                "fatapp.fix.PricingFix");
        TestJars.patchJar(patches, "20-fix-later.jar", Map.of("Livepatch-Name", "fix-later",
                "Livepatch-Class", "fatapp.fix.PricingFix"), "fatapp.fix.PricingFix");
        Path log = dir.resolve("stderr.txt");
        Path verdict = dir.resolve("verdict.txt");
        Process p = shortWait(layout[0], layout[1], 15, log, "awaitTransition", verdict.toString());
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8)) {
            assertEquals("waiting", out.readLine());
            attach(p, patches);
            in.println(); // fix-fat loads in the application's loader; its transition never ends
            assertEquals("ready", out.readLine());
            assertEquals("cleared", awaitVerdict(verdict), () -> readQuietly(log));
            String record = awaitRecord(p, " load " + later + " by attach: refused: never loaded");
            assertTrue(record.contains("never loaded: it waited for the transition of 'fix-fat'"), record);
            assertFalse(record.contains("no class loader"), record);
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The same as its thread waits for a class loader: before, the interrupt stayed set and each of its
     * parks returned at once, a thread spinning on a core until the deadline. Now it parks, cleared.
     */
    @Test
    void anInterruptOfTheThreadWaitingForALoaderIsClearedAndItParksAgain() throws Exception {
        Path[] layout = layout();
        Path log = dir.resolve("stderr.txt");
        Path verdict = dir.resolve("verdict.txt");
        // 120 seconds: longer than the interrupter looks; the test ends the JVM once it has its verdict.
        Process p = shortWait(layout[0], layout[1], 120, log, "run", verdict.toString());
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("waiting", out.readLine());
            attach(p, layout[2]); // and no line: the application's loader is never made
            assertEquals("cleared", awaitVerdict(verdict), () -> readQuietly(log));
            Cli status = Cli.run("status", p.pid());
            assertTrue(status.out().contains("attach: waiting " + layout[2].resolve("10-fix-fat.jar")),
                    status.toString());
            // Before, its spin went on to a load the kept interrupt refused (BUSY), and the JAR was skipped for good.
            assertFalse(readQuietly(log).contains("skipping"), () -> readQuietly(log));
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aWatchedDirectoryWaitsForTheLoaderToo() throws Exception {
        Path[] layout = layout();
        Path launcher = layout[0];
        Path app = layout[1];
        Path patches = layout[2];
        Path log = dir.resolve("stderr.txt");
        // An interval of an hour: only the launcher's loader appearing can have the patch loaded.
        Process p = new ProcessBuilder(TestJars.java(), "-javaagent:" + TestJars.AGENT + "=patches=" + patches
                + ",watch=true,interval=3600", "-cp", launcher.toString(), "launcher.Launcher", app.toString())
                .redirectError(log.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8)) {
            awaitPatched(out, in, log);
            Cli status = Cli.run("status", p.pid());
            assertTrue(status.out().contains("  watching " + patches + ": converged; desired: fix-fat;")
                    && status.out().contains("1. fix-fat [enabled]"), status.toString());
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String stderr = Files.readString(log);
        assertTrue(stderr.contains("'fix-fat' (10-fix-fat.jar, sha256 ") && stderr.contains(" waits for a class loader"
                + " that can load its classes (java.lang.NoClassDefFoundError: fatapp/Pricing)"), stderr);
    }
}
