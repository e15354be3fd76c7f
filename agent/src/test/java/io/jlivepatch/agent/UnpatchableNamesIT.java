package io.jlivepatch.agent;

import io.jlivepatch.agent.cli.ReplacesJars;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command's check of a target's name (inspect, install, load before it attaches: CheckedJar) and the
 * target's (its load of the same JAR) on one table of names, so that they cannot drift apart: a JAR the
 * command refuses, the target refuses with the same line; one it passes, the target takes by its name (it
 * loads, or is refused for something else: a method the loaded class lacks). The target runs this build
 * already, so {@code load} sends it every JAR, even one the command refused (LoadCommand), and prints the
 * target's answer.
 */
class UnpatchableNamesIT {

    private static final String S = "(Ljava/lang/String;)Ljava/lang/String;";

    /** {target, method, descriptor, what the command says: a refusal's first words, or "" for none}. */
    private static final List<String[]> NAMES = List.of(
            new String[] {"java.util.concurrent.ThreadPoolExecutor", "getTask", "()Ljava/lang/Runnable;",
                    "NOT_PATCHABLE: patch 'names-0': java.util.concurrent.ThreadPoolExecutor.getTask"},
            new String[] {"java.lang.String", "length", "()I", "NOT_PATCHABLE"},
            new String[] {"java.lang.Thread$UncaughtExceptionHandler", "uncaughtException",
                    "(Ljava/lang/Thread;Ljava/lang/Throwable;)V", "NOT_PATCHABLE"},
            new String[] {"jdk.internal.misc.Unsafe", "pageSize", "()I", "NOT_PATCHABLE"},
            new String[] {"io.jlivepatch.Livepatch", "patches", "()Ljava/util/List;", "NOT_PATCHABLE"},
            new String[] {"agentapp.Greeter$$SpringCGLIB$$0", "greet", S, "NOT_PATCHABLE"},
            new String[] {"agentapp.Greeter$$EnhancerBySpringCGLIB$$1a2b3c", "greet", S, "NOT_PATCHABLE"},
            new String[] {"agentapp.Greeter$$Lambda$14", "get", "()Ljava/lang/Object;", "NOT_PATCHABLE"},
            new String[] {"agentapp.Greeter/0x0000000800c01234", "greet", S, "NOT_PATCHABLE"},
            new String[] {"agentapp.$Proxy12", "run", "()V", "NOT_PATCHABLE"},
            new String[] {"agentapp/Greeter", "greet", S, "INVALID_PATCH"},
            // what merely looks like them
            new String[] {"agentapp.Report$$Totals", "greet", S, ""},
            new String[] {"agentapp.$ProxyFactory", "run", "()V", ""},
            new String[] {"java.util.concurrentish.Queue", "poll", "()Ljava/lang/Object;", ""},
            new String[] {"java.lang.StringBuilder", "noSuchMethod", "()V", ""},
            new String[] {"java.lang.ThreadLocal", "noSuchMethod", "()V", ""});

    @TempDir
    Path dir;

    private ServiceProcess service;

    @BeforeEach
    void startServiceWithJlivepatch() throws Exception {
        service = new ServiceProcess();
        Cli first = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
        assertEquals(0, first.exitCode(), first.toString());
    }

    @AfterEach
    void stopService() throws Exception {
        service.close();
    }

    @Test
    void theCommandAndTheTargetJudgeEveryNameAlike() throws Exception {
        for (int i = 0; i < NAMES.size(); i++) {
            String[] row = NAMES.get(i);
            String name = "names-" + i;
            Path jar = ReplacesJars.write(Files.createDirectory(dir.resolve(name)), name, row[0], row[1], row[2]);
            Cli inspect = Cli.run("inspect", jar);
            Cli load = Cli.run("load", service.pid(), jar);
            String what = row[0] + ": inspect " + inspect + "\nload " + load;
            if (row[3].isEmpty()) {
                assertEquals(0, inspect.exitCode(), what);
                // taken by its name: loaded (a class not loaded yet), or refused for the method alone
                if (load.exitCode() == 0) {
                    Cli unload = Cli.run("unload", service.pid(), name);
                    assertEquals(0, unload.exitCode(), what + "\nunload " + unload);
                } else {
                    assertEquals(1, load.exitCode(), what);
                    assertTrue(load.err().startsWith("jlivepatch: refused: TARGET_NOT_FOUND: "), what);
                }
            } else {
                assertEquals(1, inspect.exitCode(), what);
                assertTrue(inspect.err().startsWith("jlivepatch: refused: " + row[3]), what);
                assertEquals(1, load.exitCode(), what);
                assertEquals(inspect.err(), load.err(), "the target's words are the command's: " + what);
            }
        }
        assertNothingButTheFirstPatch();
    }

    /** A JAR of two functions, one of a class no JVM lets be hooked: the target refuses it whole, as the command. */
    @Test
    void oneUnpatchableFunctionRefusesTheWholeJarOnBothSides() throws Exception {
        Path jar = ReplacesJars.write(dir, "two-functions",
                new String[] {"agentapp.NotLoadedAnywhere", "greet", S},
                new String[] {"java.util.concurrent.ThreadPoolExecutor", "getTask", "()Ljava/lang/Runnable;"});
        Cli inspect = Cli.run("inspect", jar);
        Cli load = Cli.run("load", service.pid(), jar);
        assertEquals(1, inspect.exitCode(), inspect.toString());
        assertTrue(inspect.err().startsWith("jlivepatch: refused: NOT_PATCHABLE: patch 'two-functions':"
                + " java.util.concurrent.ThreadPoolExecutor.getTask()"), inspect.toString());
        assertEquals(1, load.exitCode(), load.toString());
        assertEquals(inspect.err(), load.err(), load.toString());
        assertNothingButTheFirstPatch();
    }

    private void assertNothingButTheFirstPatch() throws Exception {
        Cli status = Cli.run("status", service.pid());
        assertTrue(status.out().contains("1. fix-greet [enabled]"), status.toString());
        assertFalse(status.out().contains("2. "), status.toString());
        assertEquals(GREET_FIXED, service.call());
    }
}
