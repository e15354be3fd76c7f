package io.jlivepatch.spring;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shop fat JAR running as {@code java [jvmArgs] -jar shop.jar} on a free port of the loopback
 * interface; closing it kills it. Its output goes to files in {@code dir}, read by the assertions.
 */
final class Shop implements AutoCloseable {

    /** Longer than Spring Boot takes to start on a loaded 2-CPU machine: a hang detector, not a measure. */
    private static final long START_SECONDS = 120;
    private static final Pattern LISTENING = Pattern.compile("shop listening on port (\\d+)");

    private final Process process;
    private final Path out;
    private final Path err;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();

    private Shop(Process process, Path out, Path err, int port) {
        this.process = process;
        this.out = out;
        this.err = err;
        this.port = port;
    }

    static Shop start(Path jar, Path dir, String name, String... jvmArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Jlivepatch.java()));
        cmd.addAll(List.of(jvmArgs));
        // server.address: the service is reached on the loopback interface only
        cmd.addAll(List.of("-jar", jar.toString(), "--server.port=0", "--server.address=127.0.0.1"));
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            // The application prints the port once Tomcat listens (ShopApplication.listening).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
            while (true) {
                Matcher m = LISTENING.matcher(Files.readString(out, StandardCharsets.UTF_8));
                if (m.find()) {
                    return new Shop(p, out, err, Integer.parseInt(m.group(1)));
                }
                if (!p.isAlive() || System.nanoTime() - deadline > 0) {
                    throw new AssertionError(name + " did not start (" + (p.isAlive() ? "still starting after "
                            + START_SECONDS + " s" : "exit " + p.exitValue()) + ")\nstdout:\n"
                            + Files.readString(out) + "\nstderr:\n" + Files.readString(err));
                }
                Thread.sleep(100);
            }
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            kill(p);
            throw e;
        }
    }

    long pid() {
        return process.pid();
    }

    /** GET path: the body of a 200 answer; anything else fails. */
    String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + ": HTTP " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    String stderr() throws IOException {
        return Files.readString(err, StandardCharsets.UTF_8);
    }

    /** What the shop printed, for assertion messages. */
    String output() throws IOException {
        return "stdout:\n" + Files.readString(out, StandardCharsets.UTF_8) + "\nstderr:\n" + stderr();
    }

    @Override
    public void close() throws InterruptedException {
        kill(process);
    }

    private static void kill(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }
}
