package com.acme.files.fleet;

import com.acme.files.FileService;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One JVM of the fleet: the demo's {@link FileService} started with jlivepatch's agent watching a
 * patch directory, as a pod's container would run it. Its output (the service's lines and the
 * agent's log) is echoed with a prefix, so that a failed run shows what each JVM did.
 */
public final class ServiceJvm implements AutoCloseable {

    private static final Pattern SERVING = Pattern.compile("^serving .* on (http://[^/\\s]+)/files");

    private final Process process;
    private final CompletableFuture<URI> baseUri = new CompletableFuture<>();

    private ServiceJvm(Process process, PrintStream echo, String prefix) {
        this.process = process;
        Thread pump = new Thread(() -> pump(echo, prefix), prefix.trim() + "-output");
        pump.setDaemon(true);
        pump.start();
    }

    /**
     * Starts {@code java -javaagent:<agentJar>=<agentOptions> -cp <serviceJar> com.acme.files.FileService <www> 0}
     * and waits until it serves.
     */
    public static ServiceJvm start(Path java, Path agentJar, String agentOptions, Path serviceJar, Path www,
                                   PrintStream echo, String prefix, Duration timeout)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(java.toString(),
                // five of them share two CPUs with the test: the smallest footprint that serves
                "-XX:+UseSerialGC", "-Xmx64m", "-XX:CICompilerCount=2",
                "-javaagent:" + agentJar + "=" + agentOptions,
                "-Djava.util.logging.SimpleFormatter.format=[jlivepatch %1$tT.%1$tL] %4$s: %5$s%6$s%n",
                "-cp", serviceJar.toString(), FileService.class.getName(), www.toString(), "0"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        ServiceJvm jvm = new ServiceJvm(p, echo, prefix);
        try {
            jvm.baseUri.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return jvm;
        } catch (ExecutionException | TimeoutException e) {
            jvm.close();
            throw new IOException("the file service did not serve within " + timeout.toSeconds() + " s"
                    + (p.isAlive() ? "" : " (it exited with status " + p.exitValue() + ")") + ": its output is above", e);
        } catch (RuntimeException | InterruptedException e) {
            jvm.close();
            throw e;
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
            }
        } catch (IOException e) {
            // the process is gone
        } finally {
            baseUri.completeExceptionally(new IOException("the service's output ended"));
        }
    }

    public long pid() {
        return process.pid();
    }

    /** {@code http://127.0.0.1:<port>}, once {@link #start} returned. */
    public URI baseUri() {
        return baseUri.join();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Ends the JVM at once; idempotent. The fleet's JVMs hold nothing worth a graceful stop. */
    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
