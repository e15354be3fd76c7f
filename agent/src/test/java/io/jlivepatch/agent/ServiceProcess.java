package io.jlivepatch.agent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** agentapp.ServiceApp in a JVM of its own, asked for its current result line by line. */
final class ServiceProcess implements AutoCloseable {

    /** What {@link #call()} answers with the service's own greeting. */
    static final String ORIGINAL = "hello x |y!";
    /** What it answers with the greeter fix of {@link TestJars} enabled. */
    static final String GREET_FIXED = "fixed x|y!";

    private final Process process;
    private final BufferedReader out;
    private final PrintWriter in;

    ServiceProcess(String... jvmOptions) throws IOException {
        this(ProcessBuilder.Redirect.INHERIT, jvmOptions);
    }

    /** With standard error sent to {@code stderr}: {@code PIPE} gives it to {@link #stderr()}, which nobody reads until asked. */
    ServiceProcess(ProcessBuilder.Redirect stderr, String... jvmOptions) throws IOException {
        this(0, stderr, jvmOptions);
    }

    /** @param openFiles the process's limit of open files ({@code ulimit -n}), or 0 for the inherited one */
    ServiceProcess(int openFiles, ProcessBuilder.Redirect stderr, String... jvmOptions) throws IOException {
        this(TestJars.java(), "agentapp.ServiceApp", List.of(), openFiles > 0 ? "ulimit -n " + openFiles : null, stderr, jvmOptions);
    }

    /**
     * With the process's limit of the size of the files it writes ({@code ulimit -S -f}, RLIMIT_FSIZE; the soft
     * limit, which the process's user may raise again) at {@code kib} KiB: a write past it fails ({@code EFBIG},
     * "File too large"; the JVM ignores SIGXFSZ), as on a full disk.
     */
    static ServiceProcess withFileSizeLimit(long kib, String... jvmOptions) throws IOException {
        return withFileSizeLimit(kib, ProcessBuilder.Redirect.INHERIT, jvmOptions);
    }

    /** {@link #withFileSizeLimit(long, String...)}, standard error sent to {@code stderr}. */
    static ServiceProcess withFileSizeLimit(long kib, ProcessBuilder.Redirect stderr, String... jvmOptions)
            throws IOException {
        return new ServiceProcess(TestJars.java(), "agentapp.ServiceApp", List.of(), "ulimit -S -f " + kib, stderr,
                jvmOptions);
    }

    /** A main class that runs ServiceApp's loop after a set-up of its own (agentapp.OtherBuildApp). */
    static ServiceProcess running(String mainClass, String... jvmOptions) throws IOException {
        return new ServiceProcess(TestJars.java(), mainClass, List.of(), null, ProcessBuilder.Redirect.INHERIT, jvmOptions);
    }

    /** On another JDK's {@code java} ({@link TestJars#otherJava}). */
    static ServiceProcess on(String java, String... jvmOptions) throws IOException {
        return new ServiceProcess(java, "agentapp.ServiceApp", List.of(), null, ProcessBuilder.Redirect.INHERIT, jvmOptions);
    }

    /**
     * In a mount namespace of its own where {@code hidden} is an empty directory (a tmpfs over it): a JVM
     * whose file system is not the command's, as a container's. Needs root ({@code unshare --mount}).
     */
    static ServiceProcess hiding(Path hidden, ProcessBuilder.Redirect stderr, String... jvmOptions) throws IOException {
        return new ServiceProcess(TestJars.java(), "agentapp.ServiceApp", List.of("unshare", "--mount", "--propagation", "private"),
                "mount -t tmpfs tmpfs " + quote(hidden.toString()), stderr, jvmOptions);
    }

    /**
     * @param java    the JVM's {@code java}
     * @param wrapper what runs the shell that runs the JVM ({@code unshare ...}), or nothing
     * @param setup   a shell command run first, in the JVM's process ({@code exec} keeps its pid), or null
     */
    private ServiceProcess(String java, String mainClass, List<String> wrapper, String setup, ProcessBuilder.Redirect stderr,
                           String... jvmOptions) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:+IgnoreUnrecognizedVMOptions",
                "-XX:+EnableDynamicAgentLoading"));
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", TestJars.appClasses().toString(), mainClass));
        if (setup != null) {
            List<String> quoted = new ArrayList<>();
            for (String arg : cmd) {
                quoted.add(quote(arg));
            }
            cmd = new ArrayList<>(wrapper);
            cmd.addAll(List.of("bash", "-c", setup + " && exec " + String.join(" ", quoted)));
        }
        process = new ProcessBuilder(cmd).redirectError(stderr).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        String first = out.readLine();
        if (!"ready".equals(first)) {
            throw new IOException("the service did not start: " + first);
        }
    }

    private static String quote(String arg) {
        return "'" + arg.replace("'", "'\\''") + "'";
    }

    long pid() {
        return process.pid();
    }

    /** greet(" x ") and shout("y") as the service computes them now, e.g. {@code hello x |y!}. */
    String call() throws IOException {
        String line = ask("call");
        if (line == null || !line.startsWith("result=")) {
            throw new IOException("unexpected answer: " + line);
        }
        return line.substring("result=".length());
    }

    /**
     * Waits until the agent's installation has ended, which without start-up patches runs on a thread
     * of its own after main started; returns {@code installed} (its control socket is open) or {@code failed}.
     */
    String awaitAgent() throws IOException {
        String line = ask("agent");
        if (line == null || !line.startsWith("agent: ")) {
            throw new IOException("unexpected answer: " + line);
        }
        return line.substring("agent: ".length());
    }

    /** Starts a thread that sits inside Greeter.hold until {@link #release()}. */
    void hold() throws IOException {
        String line = ask("hold");
        if (!"holding".equals(line)) {
            throw new IOException("unexpected answer: " + line);
        }
    }

    /** The service's standard error, when it was started with {@code Redirect.PIPE}. */
    java.io.InputStream stderr() {
        return process.getErrorStream();
    }

    /** Sends {@code command} and returns the service's one-line answer. */
    String ask(String command) throws IOException {
        in.println(command);
        return out.readLine();
    }

    void release() {
        in.println("release");
    }

    @Override
    public void close() throws InterruptedException {
        in.println("quit");
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
