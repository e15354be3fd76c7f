package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM whose standard error takes nothing (a pipe nobody reads, full): jlivepatch, loaded before,
 * is still managed as usual, and its log lines come out, in order, once standard error is read
 * again; loading it into such a JVM is refused (HotSpot's warning at the bootstrap class path's
 * append would stop the whole JVM), the application runs on, and a retry works once it drains.
 */
class StuckStderrIT {

    @TempDir
    Path dir;

    /** Reads the service's standard error from now on; {@link #text()} is what it read so far. */
    private static final class Drain {
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final Thread reader;

        Drain(ServiceProcess service) {
            InputStream in = service.stderr();
            reader = new Thread(() -> {
                byte[] buf = new byte[1 << 16];
                try {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        synchronized (err) {
                            err.write(buf, 0, n);
                        }
                    }
                } catch (java.io.IOException e) {
                    // the service ended
                }
            }, "stderr-reader");
            reader.setDaemon(true);
            reader.start();
        }

        String text() {
            synchronized (err) {
                return err.toString(StandardCharsets.UTF_8).replaceAll("f{1000,}", ""); // the flood, in pieces: other writes may land between them
            }
        }

        /** Waits until {@code line} was read. */
        String await(String line) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!text().contains(line) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            return text();
        }

        void join() throws InterruptedException {
            reader.join(TimeUnit.SECONDS.toMillis(10));
        }
    }

    private static void assertInOrder(String text, List<String> lines) {
        int at = -1;
        for (String line : lines) {
            int i = text.indexOf(line, at + 1);
            assertTrue(i > at, "\"" + line + "\" after the lines before it, in:\n" + text);
            at = i;
        }
    }

    @Test
    void aStandardErrorThatTakesNothingHoldsNoCommandAndGetsEveryLineLater() throws Exception {
        ServiceProcess service = new ServiceProcess(ProcessBuilder.Redirect.PIPE);
        Drain drain = null;
        try {
            // jlivepatch in the JVM (and the JVM's warning at its start) before standard error is held
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(GREET_FIXED, service.call());
            assertEquals("flooding", service.ask("flood"), "the service holds its standard error");

            Cli disable = Cli.run("disable", service.pid(), "fix-greet");
            assertEquals(0, disable.exitCode(), disable.toString());
            assertEquals(ORIGINAL, service.call());
            Cli status = Cli.run("status", service.pid());
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.out().contains("1. fix-greet [disabled]"), status.toString());
            Cli enable = Cli.run("enable", service.pid(), "fix-greet");
            assertEquals(0, enable.exitCode(), enable.toString());
            assertEquals(GREET_FIXED, service.call());
            Cli unload = Cli.run("unload", service.pid(), "fix-greet");
            assertEquals(0, unload.exitCode(), unload.toString());
            assertEquals(ORIGINAL, service.call());
            assertEquals("still writing", service.ask("flooded?"),
                    "standard error took nothing while the commands ran");

            drain = new Drain(service);
            String text = drain.await("'fix-greet': unregistered");
            // the load's lines, its registration before its enable (the kernel's order), then what the commands
            // logged while standard error was held, in order
            assertInOrder(text, List.of("'fix-greet': registered, ", "enabling patch 'fix-greet'",
                    "'fix-greet': starting patching transition", "'fix-greet': patching complete",
                    "disabling patch 'fix-greet'",
                    "'fix-greet': unpatching complete", "enabling patch 'fix-greet'", "'fix-greet': patching complete",
                    "disabling patch 'fix-greet'", "'fix-greet': unpatching complete", "'fix-greet': unregistered"));
            assertEquals("flooded", service.ask("flooded?"));
        } finally {
            if (drain == null) {
                drain = new Drain(service); // lets the service end
            }
            service.close();
            drain.join();
        }
    }

    @Test
    void loadingIntoAJvmWhoseStandardErrorTakesNothingIsRefusedAndTheApplicationRunsOn() throws Exception {
        ServiceProcess service = new ServiceProcess(ProcessBuilder.Redirect.PIPE);
        Drain drain = null;
        try {
            assertEquals("flooding", service.ask("flood"));
            Cli refused = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(1, refused.exitCode(), refused.toString());
            assertTrue(refused.err().contains("the JVM's standard error takes no output"), refused.toString());
            assertTrue(refused.err().contains("make the JVM's standard error drain, then retry"), refused.toString());
            assertEquals(ORIGINAL, service.call(), "the application runs on, unpatched");
            assertEquals("still writing", service.ask("flooded?"));

            drain = new Drain(service);
            drain.await("expected)");
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(GREET_FIXED, service.call());
            String text = drain.await("'fix-greet': patching complete");
            assertInOrder(text, List.of("jlivepatch: appending its dispatch classes to the bootstrap class path",
                    "Sharing is only supported for boot loader classes", "'fix-greet': patching complete"));
        } finally {
            if (drain == null) {
                drain = new Drain(service);
            }
            service.close();
            drain.join();
        }
    }
}
