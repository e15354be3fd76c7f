package io.jlivepatch.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The application measured: the demo's {@code com.acme.files.FileService} (the JDK's HTTP server
 * over {@code FileStore}, whose {@code resolve} the demo patch replaces), in a JVM of its own that
 * logs every class it defines ({@code -Xlog:class+load}) to a file of the work directory.
 * {@code name=../secret.txt} reads a file outside the served directory until the patch is enabled
 * (200), and is refused after (403): the functional check that the patch was loaded and enabled.
 */
final class FootprintTarget implements AutoCloseable {

    static final String SERVED = "a.txt";
    static final String TRAVERSAL = "../secret.txt";
    private static final Pattern SERVING = Pattern.compile("on (http://[^/\\s]+)/");

    private final Process process;
    private final Path classLog;
    private final Path output;
    private final String base;
    private final Path jcmd;

    private FootprintTarget(Process process, Path classLog, Path output, String base, Path jcmd) {
        this.process = process;
        this.classLog = classLog;
        this.output = output;
        this.base = base;
        this.jcmd = jcmd;
    }

    static FootprintTarget start(Path javaHome, Path demoJar, Path work, List<String> jvmOptions)
            throws IOException, InterruptedException {
        Path served = Files.createDirectories(work.resolve("served"));
        Files.writeString(served.resolve(SERVED), "served\n");
        Files.writeString(work.resolve("secret.txt"), "outside the served directory\n");
        Path classLog = work.resolve("classes.log");
        Path output = work.resolve("target.out");
        List<String> cmd = new ArrayList<>();
        cmd.add(javaHome.resolve("bin/java").toString());
        cmd.add("-Xlog:class+load=info:file=" + classLog);
        if (Runtime.version().feature() >= 21) {
            cmd.add("-XX:+EnableDynamicAgentLoading"); // silences the JDK 21+ warning, loads the same
        }
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", demoJar.toString(), "com.acme.files.FileService", served.toString(), "0"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Matcher m = SERVING.matcher(Files.readString(output));
            if (m.find()) {
                return new FootprintTarget(p, classLog, output, m.group(1), javaHome.resolve("bin/jcmd"));
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("the target ended (exit " + p.exitValue() + "):\n" + Files.readString(output));
            }
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new IllegalStateException("the target did not start serving within 60 s:\n" + Files.readString(output));
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    String output() throws IOException {
        return Files.readString(output);
    }

    /** HTTP status of {@code GET /files?name=<name>}, or -1 when the request failed. */
    int get(String name) {
        try {
            HttpURLConnection c = (HttpURLConnection) new URL(base + "/files?name=" + name).openConnection();
            c.setConnectTimeout(10_000);
            c.setReadTimeout(10_000);
            int status = c.getResponseCode();
            try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                if (in != null) {
                    in.readAllBytes();
                }
            }
            return status;
        } catch (IOException e) {
            return -1;
        }
    }

    /** Lines of the class-load log so far. */
    List<String> classLines() throws IOException {
        return Files.readAllLines(classLog, StandardCharsets.UTF_8);
    }

    /**
     * Waits until the target has defined no class for a second (jlivepatch registers its MBeans
     * from a thread of its own, after {@code agentmain} returned); at most 30 s.
     */
    int settle() throws IOException, InterruptedException {
        int last = -1;
        int stableFor = 0;
        for (int i = 0; i < 300 && stableFor < 10; i++) {
            int now = classLines().size();
            stableFor = now == last ? stableFor + 1 : 0;
            last = now;
            Thread.sleep(100);
        }
        return last;
    }

    FootprintMetaspace metaspace() throws IOException, InterruptedException {
        return FootprintMetaspace.parse(jcmd("VM.metaspace", "show-loaders"));
    }

    private String jcmd(String command, String option) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), command, option).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + pid() + " " + command + " failed:\n" + out);
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
