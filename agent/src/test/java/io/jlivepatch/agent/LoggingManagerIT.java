package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jlivepatch leaves {@code java.util.logging} to the application: one whose manager
 * ({@code -Djava.util.logging.manager}) only its own class loader can load still gets it, with
 * jlivepatch's lines on standard error, whether start-up patches or an attach before the
 * application's first log line came first; one whose manager the system class loader can load has
 * jlivepatch's lines go through it, as before.
 */
class LoggingManagerIT {

    @TempDir
    Path tmp;

    /** A directory with the application's own manager, which only the application's loader reads. */
    private Path managerDir() throws Exception {
        Path dir = tmp.resolve("manager");
        Path manager = dir.resolve("latelog/LateLogManager.class");
        Files.createDirectories(manager.getParent());
        Files.copy(TestJars.TEST_CLASSES.resolve("latelog/LateLogManager.class"), manager);
        return dir;
    }

    /** @param managerOnClassPath the manager on the class path too, where the system class loader finds it */
    private TestJars.Ran run(boolean managerOnClassPath) throws Exception {
        Path patches = Files.createDirectory(tmp.resolve("patches"));
        TestJars.greeterFixJar(patches);
        Path managerDir = managerDir();
        List<String> cmd = new ArrayList<>(List.of(TestJars.java(), "-Djava.util.logging.manager=latelog.LateLogManager",
                "-javaagent:" + TestJars.AGENT + "=patches=" + patches, "-Djava.io.tmpdir=" + tmp,
                "-cp", !managerOnClassPath ? TestJars.appClasses().toString()
                        : TestJars.appClasses() + java.io.File.pathSeparator + managerDir,
                "agentapp.LateLoggingApp", managerDir.toString()));
        TestJars.Ran ran = TestJars.runToEnd(cmd, tmp);
        assertTrue(ran.out().contains("greet=fixed a\n"), "the patch is in effect at main: " + ran.out() + ran.err());
        return ran;
    }

    @Test
    void aManagerOnlyTheApplicationsLoaderCanLoadIsTheOneItGetsAndJlivepatchLogsToStandardError() throws Exception {
        TestJars.Ran r = run(false);
        assertTrue(r.out().contains("manager=latelog.LateLogManager\n"), r.out() + r.err());
        assertFalse(r.err().contains("Could not load Logmanager"), r.err());
        assertTrue(r.err().contains("INFO: jlivepatch logs to standard error: java.util.logging.manager names"
                + " latelog.LateLogManager, which the system class loader cannot load"), r.err());
        assertTrue(r.err().contains("INFO: 'fix-greet': patching complete\n"), r.err());
        assertTrue(r.err().contains("INFO: the application logs"), "the application's own line, through its manager: "
                + r.err());
    }

    @Test
    void anAttachBeforeTheApplicationsFirstLogLineLeavesItItsManagerToo() throws Exception {
        Path managerDir = managerDir();
        Path err = tmp.resolve("stderr.txt");
        Process p = new ProcessBuilder(TestJars.java(), "-XX:+IgnoreUnrecognizedVMOptions",
                "-XX:+EnableDynamicAgentLoading", "-Djava.util.logging.manager=latelog.LateLogManager",
                "-Djava.io.tmpdir=" + tmp, "-cp", TestJars.appClasses().toString(), "agentapp.LateLoggingApp",
                managerDir.toString(), "wait").redirectError(err.toFile()).start();
        try {
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("ready", out.readLine());
            Cli load = Cli.run("load", p.pid(), TestJars.greeterFixJar(tmp));
            assertEquals(0, load.exitCode(), load.toString());
            p.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().flush();
            String rest = out.readLine() + "\n" + out.readLine() + "\n";
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the JVM exits");
            String stderr = Files.readString(err);
            assertEquals("manager=latelog.LateLogManager\ngreet=fixed a\n", rest, stderr);
            assertTrue(stderr.contains("INFO: jlivepatch logs to standard error: java.util.logging.manager names"
                    + " latelog.LateLogManager"), stderr);
            assertFalse(stderr.contains("Could not load Logmanager"), stderr);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aManagerTheSystemClassLoaderCanLoadTakesJlivepatchsLinesAsBefore() throws Exception {
        TestJars.Ran r = run(true);
        assertTrue(r.out().contains("manager=latelog.LateLogManager\n"), r.out() + r.err());
        assertFalse(r.err().contains("jlivepatch logs to standard error"), r.err());
        assertTrue(r.err().contains("INFO: 'fix-greet': patching complete\n"), r.err());
    }
}
