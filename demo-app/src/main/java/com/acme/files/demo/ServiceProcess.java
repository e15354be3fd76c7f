package com.acme.files.demo;

import com.acme.files.FileService;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The file service ({@link FileService#main}) in a JVM of its own, started without jlivepatch: the
 * agent arrives later, through {@code jlivepatch load}. Everything the service prints (its own
 * lines and jlivepatch's log, once the agent is in) is echoed with a prefix.
 */
final class ServiceProcess implements AutoCloseable {

    private static final Pattern SERVING = Pattern.compile("^serving .* on (http://[^/\\s]+)/files");
    private static final Pattern STOPPED = Pattern.compile("^stopped after (\\d+) requests \\((\\d+) with HTTP 500\\)");

    private final Process process;
    private final Thread pump;
    private final CompletableFuture<URI> baseUri = new CompletableFuture<>();
    private volatile long served = -1;
    private volatile long serverErrors = -1;
    private volatile boolean sharingWarning;

    private ServiceProcess(Process process, PrintStream echo, String prefix) {
        this.process = process;
        this.pump = new Thread(() -> pump(echo, prefix), "service-output");
        this.pump.setDaemon(true);
        this.pump.start();
    }

    /** The JVM options the service runs with, and why. */
    static List<String> jvmOptions() {
        return List.of(
                // JDK 21+ prints a warning when an agent is loaded into a running JVM (JEP 451) and
                // a future JDK will refuse it unless the JVM was started with this option. The
                // operator's 'jlivepatch load' loads the agent that way, so a service meant to be
                // live-patched says up front that it allows it. JDK 17 does not know the option and
                // would refuse to start without IgnoreUnrecognizedVMOptions.
                "-XX:+IgnoreUnrecognizedVMOptions",
                "-XX:+EnableDynamicAgentLoading",
                // Only cosmetic: jlivepatch's log lines (java.util.logging) on one line each.
                "-Djava.util.logging.SimpleFormatter.format=[jlivepatch] %4$s: %5$s%6$s%n");
    }

    /**
     * Starts {@code java <options> -cp <classpath> com.acme.files.FileService <dir> 0}, writes its
     * pid to {@code pidFile} at once, and waits until it serves.
     *
     * @throws IOException when it does not start or does not print its address within {@code timeout}
     */
    static ServiceProcess start(Path java, Path classpath, Path dir, Path pidFile, PrintStream echo, String prefix,
                                Duration timeout) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.addAll(jvmOptions());
        command.addAll(List.of("-cp", classpath.toString(), FileService.class.getName(), dir.toString(), "0"));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .start();
        ServiceProcess service = new ServiceProcess(p, echo, prefix);
        try {
            Files.writeString(pidFile, p.pid() + "\n");
            service.baseUri.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return service;
        } catch (IOException | RuntimeException | InterruptedException e) {
            service.kill();
            throw e;
        } catch (ExecutionException | TimeoutException e) {
            service.kill();
            throw new IOException("the file service did not start within " + timeout.toSeconds() + " s"
                    + (p.isAlive() ? "" : " (it exited with status " + p.exitValue() + ")")
                    + ": its output is above", e);
        }
    }

    private void pump(PrintStream echo, String prefix) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                echo.println(prefix + line);
                Matcher m = SERVING.matcher(line);
                if (!baseUri.isDone() && m.find()) {
                    baseUri.complete(URI.create(m.group(1)));
                }
                if (line.contains("Sharing is only supported for boot loader classes")) {
                    sharingWarning = true;
                }
                Matcher s = STOPPED.matcher(line);
                if (s.find()) {
                    served = Long.parseLong(s.group(1));
                    serverErrors = Long.parseLong(s.group(2));
                }
            }
        } catch (IOException e) {
            // the process is gone
        } finally {
            baseUri.completeExceptionally(new IOException("the service's output ended"));
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** {@code http://127.0.0.1:<port>} */
    URI baseUri() {
        return baseUri.join();
    }

    /**
     * Stops the service as an operator would (SIGTERM: its shutdown hook closes the server and
     * prints its totals), or forcibly when it does not end in time.
     *
     * @return whether it ended by itself within {@code timeout}
     */
    boolean stop(Duration timeout) throws InterruptedException {
        if (!process.isAlive()) {
            pump.join(2_000);
            return true;
        }
        // SIGTERM through the handle: Process.destroy() would also close our end of the service's
        // output, and its last line, the totals, would be lost.
        process.toHandle().destroy();
        boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!ended) {
            kill();
        }
        pump.join(2_000);
        return ended;
    }

    /** Ends the process at once, whatever state it is in. For clean-up paths. */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether the JVM warned that class data sharing now covers boot classes only: HotSpot says so
     * once an agent appends to the boot class path, which jlivepatch does for its dispatch classes.
     */
    boolean printedSharingWarning() {
        return sharingWarning;
    }

    /** Responses the service sent, as it reported when it stopped; empty when it did not report. */
    OptionalLong served() {
        return served < 0 ? OptionalLong.empty() : OptionalLong.of(served);
    }

    /** Responses with HTTP 500, as the service reported when it stopped. */
    OptionalLong serverErrors() {
        return serverErrors < 0 ? OptionalLong.empty() : OptionalLong.of(serverErrors);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }
}
