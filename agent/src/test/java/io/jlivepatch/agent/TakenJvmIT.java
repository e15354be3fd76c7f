package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM whose agent cannot complete its installation at the first operation (the hooks' activation,
 * {@code HookManager.activate}): another copy of jlivepatch took the JVM's Dispatch after this agent's
 * premain ({@code agentapp.TakenJvmApp}). Every operation is refused, each the same way, saying what
 * is wrong and what to do; nothing is registered and the application runs its own code.
 */
class TakenJvmIT {

    @TempDir
    Path dir;

    @Test
    void everyOperationIsRefusedTheSameWayAndNothingChanges() throws Exception {
        Path log = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(TestJars.java(), "-javaagent:" + TestJars.AGENT, "-cp",
                TestJars.appClasses().toString(), "agentapp.TakenJvmApp").redirectError(log.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8)) {
            assertEquals("taken=true", out.readLine(), "the other copy must get the JVM first: "
                    + Files.readString(log));
            assertEquals("ready", out.readLine());
            Path jar = TestJars.greeterFixJar(dir);
            String why = "refused: ILLEGAL_STATE: another copy of jlivepatch (loaded by another class loader)"
                    + " already patches this JVM; use that one";

            // The CLI calls return (a minute at most: a hang detector; each takes well under a second).
            Cli first = assertTimeoutPreemptively(Duration.ofMinutes(1), () -> Cli.run("load", p.pid(), jar));
            assertEquals(1, first.exitCode(), first.toString());
            assertTrue(first.err().contains(why), first.toString());
            assertEquals(ORIGINAL, call(in, out), "no hook: the application's own code runs");

            // Later operations: refused with the same words, not retried into a hang or a half-installed state.
            Cli again = assertTimeoutPreemptively(Duration.ofMinutes(1), () -> Cli.run("load", p.pid(), jar));
            assertEquals(first.exitCode(), again.exitCode(), again.toString());
            assertEquals(first.err(), again.err());
            Cli registerOnly = assertTimeoutPreemptively(Duration.ofMinutes(1),
                    () -> Cli.run("load", "--no-enable", p.pid(), jar));
            assertEquals(1, registerOnly.exitCode(), registerOnly.toString());
            assertEquals(first.err(), registerOnly.err());

            Cli status = assertTimeoutPreemptively(Duration.ofMinutes(1), () -> Cli.run("status", p.pid(), "--log"));
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.out().contains("no patches registered"), status.toString());
            List<String> audited = status.out().lines().filter(l -> l.contains(" load ")).toList();
            // The three identical refusals, one requester: one line with its count (AuditLog).
            assertEquals(1, audited.size(), status.toString());
            assertTrue(audited.stream().allMatch(l -> l.contains("load fix-greet by") && l.contains(
                    "refused ILLEGAL_STATE: another copy of jlivepatch") && l.contains("(the same 3 times, first at ")),
                    status.toString());
            assertEquals(ORIGINAL, call(in, out));
            in.println("quit");
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static String call(PrintWriter in, BufferedReader out) throws java.io.IOException {
        in.println("call");
        String line = out.readLine();
        assertTrue(line != null && line.startsWith("result="), "unexpected answer: " + line);
        return line.substring("result=".length());
    }
}
