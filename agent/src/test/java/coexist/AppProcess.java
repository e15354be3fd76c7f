package coexist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * {@code coexist.app.CoexistApp} in a JVM of its own, with the agents a test gives it; its stderr
 * goes to a file the test reads for the other agents' and the JVM's complaints.
 */
public final class AppProcess implements AutoCloseable {

    private final Process process;
    private final BufferedReader out;
    private final PrintWriter in;
    private final Path stderr;

    /**
     * @param classPath the application's class path (its classes and libraries)
     * @param jvmOptions agents and properties, in the order given
     */
    public AppProcess(Path stderr, List<Path> classPath, String... jvmOptions) throws IOException {
        this.stderr = stderr;
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading"));
        cmd.addAll(List.of(jvmOptions));
        List<String> cp = new ArrayList<>();
        classPath.forEach(p -> cp.add(p.toString()));
        cmd.addAll(List.of("-cp", String.join(java.io.File.pathSeparator, cp), "coexist.app.CoexistApp"));
        process = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        String first = out.readLine();
        if (!"ready".equals(first)) {
            process.destroyForcibly();
            throw new IOException("the application did not start: " + first + "\n" + stderr());
        }
    }

    public long pid() {
        return process.pid();
    }

    /** Sends one command line, returns the answer without its {@code key=} prefix. */
    public String ask(String command, String key) throws IOException {
        in.println(command);
        String line = out.readLine();
        if (line == null || !line.startsWith(key + "=")) {
            throw new IOException("'" + command + "': unexpected answer " + line + "\n" + stderr());
        }
        return line.substring(key.length() + 1);
    }

    /** {@code call <quantity> <name>}: {@code <price>|<label>} as the application computes them now. */
    public String call(int quantity, String name) throws IOException {
        return ask("call " + quantity + " " + name, "result");
    }

    /** Calls of Pricing.price that the Byte Buddy advice counted. */
    public int calls() throws IOException {
        return Integer.parseInt(ask("calls", "calls"));
    }

    /** Where the application's class loader finds {@code className}: a code source path, or {@code none}. */
    public String find(String className) throws IOException {
        return ask("find " + className, "found");
    }

    /** JaCoCo's execution data since the last dump (or the start), into {@code file}. */
    public void dumpCoverage(Path file) throws IOException {
        in.println("dump " + file);
        String line = out.readLine();
        if (!"dumped".equals(line)) {
            throw new IOException("dump: unexpected answer " + line + "\n" + stderr());
        }
    }

    /** What the JVM printed on stderr so far. */
    public String stderr() throws IOException {
        return Files.readString(stderr);
    }

    /** Asks the application to end and waits for it: JaCoCo writes its file at exit. */
    @Override
    public void close() throws IOException, InterruptedException {
        in.println("quit");
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** A directory holding the classes of one package of {@code testClasses} (not its subpackages). */
    public static Path packageDir(Path testClasses, String pkg, Path into) throws IOException {
        Path from = testClasses.resolve(pkg.replace('.', '/'));
        Path to = Files.createDirectories(into.resolve(pkg.replace('.', '/')));
        try (Stream<Path> s = Files.list(from)) {
            for (Path c : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(c)) {
                    Files.copy(c, to.resolve(c.getFileName()));
                }
            }
        }
        return into;
    }

    /** An agent JAR of the classes of {@code pkg}, with {@code premainClass} and retransformation allowed. */
    public static Path agentJar(Path testClasses, String pkg, String premainClass, Path jar) throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Premain-Class", premainClass);
        a.putValue("Can-Retransform-Classes", "true");
        Path dir = testClasses.resolve(pkg.replace('.', '/'));
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m);
             Stream<Path> s = Files.list(dir)) {
            for (Path c : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(c)) {
                    j.putNextEntry(new JarEntry(pkg.replace('.', '/') + "/" + c.getFileName()));
                    j.write(Files.readAllBytes(c));
                    j.closeEntry();
                }
            }
        }
        return jar;
    }
}
