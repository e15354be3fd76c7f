package com.acme.files.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code jlivepatch} command, run exactly as an operator runs it:
 * {@code java -jar agent/target/jlivepatch-agent.jar <command> ...}, in a process of its own.
 */
final class Jlivepatch {

    /** What a command printed (standard output and error, interleaved), its exit code and wall time. */
    record Result(List<String> args, int exitCode, String output, long wallNanos) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    private final Path java;
    private final Path agentJar;
    private final Path workDir;
    private final Duration timeout;
    private volatile Process running;

    /**
     * @param agentJar the agent JAR, relative to {@code workDir} or absolute
     * @param workDir  the directory the command runs in (relative paths in arguments are resolved there)
     */
    Jlivepatch(Path java, Path agentJar, Path workDir, Duration timeout) {
        this.java = java;
        this.agentJar = agentJar;
        this.workDir = workDir;
        this.timeout = timeout;
    }

    /** How an operator types it, e.g. {@code java -jar agent/target/jlivepatch-agent.jar status 1234}. */
    String commandLine(Object... args) {
        StringBuilder sb = new StringBuilder("java -jar ").append(agentJar);
        for (Object a : args) {
            sb.append(' ').append(a);
        }
        return sb.toString();
    }

    /** Runs one command and waits for it; a command still running after the timeout is ended (exit code -1). */
    Result run(Object... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(java.toString(), "-jar", agentJar.toString()));
        List<String> given = new ArrayList<>();
        for (Object a : args) {
            given.add(String.valueOf(a));
        }
        command.addAll(given);
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
        running = p;
        try {
            p.getOutputStream().close();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> copy(p.getInputStream(), out), "jlivepatch-output");
            reader.setDaemon(true);
            reader.start();
            boolean ended = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            long wall = System.nanoTime() - start;
            if (!ended) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            reader.join(2_000);
            String text;
            synchronized (out) {
                text = out.toString(StandardCharsets.UTF_8);
            }
            if (!ended) {
                text += "(demo: the command did not end within " + timeout.toSeconds() + " s and was stopped)\n";
            }
            return new Result(given, ended ? p.exitValue() : -1, text, wall);
        } finally {
            running = null;
        }
    }

    /** Ends a command that is running now, if any. For clean-up paths. */
    void kill() {
        Process p = running;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buffer = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                synchronized (out) {
                    out.write(buffer, 0, n);
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }
}
