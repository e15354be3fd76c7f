package com.acme.files.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The demo, as an operator would do it: a file service with a path-traversal hole runs in a JVM of
 * its own, without jlivepatch, under load from concurrent clients; {@code jlivepatch load} attaches
 * to it and applies the fix from a patch JAR, {@code jlivepatch status} shows it, {@code jlivepatch
 * unload} takes it off again, and not one legitimate request fails. This driver needs no agent:
 *
 * <pre>
 * java -cp demo-app/target/jlivepatch-demo.jar com.acme.files.demo.LivePatchDemo [--clients N]
 * </pre>
 *
 * or simply {@code demo-app/run-demo.sh}, which builds what is missing first. The agent JAR and the
 * patch JAR are found beside the demo JAR in the source tree unless given. Exit status 0 when every
 * legitimate request succeeded, the hole was open, closed and open again as it should be, and
 * every jlivepatch command succeeded; 1 otherwise; 2 for a usage error.
 */
public final class LivePatchDemo {

    private static final PrintStream OUT = System.out;
    private static final String HOLE = "../secret.txt";
    private static final String SECRET = "db_password=correct-horse-battery-staple\n";
    private static final Duration CLIENTS_MAX_RUN = Duration.ofSeconds(75);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(45);
    private static final Duration DEMO_MAX_RUN = Duration.ofSeconds(100);
    private static final Pattern COMPLETE_IN = Pattern.compile("patching complete in (\\d+) ms");
    private static final int STEPS = 8;

    private final Options options;
    private final List<String> problems = new ArrayList<>();
    private final Jlivepatch jlivepatch;
    private volatile ServiceProcess service;
    private volatile Path tmp;
    private int step;

    private LivePatchDemo(Options options) {
        this.options = options;
        this.jlivepatch = new Jlivepatch(javaCommand(), options.shown(options.agentJar), options.root, COMMAND_TIMEOUT);
    }

    /** Command-line options, with the JARs resolved against the source tree the demo JAR is in. */
    private static final class Options {
        int clients = 8;
        Path root;
        Path agentJar;
        Path patchJar;
        /** Given by the caller, who removes it; else a temporary directory the demo removes. */
        Path workDir;

        /** {@code path} relative to the repository root when it lies in it, for shorter command lines. */
        Path shown(Path path) {
            return path.startsWith(root) ? root.relativize(path) : path;
        }
    }

    public static void main(String[] args) {
        Options options = parse(args);
        LivePatchDemo demo = new LivePatchDemo(options);
        Runtime.getRuntime().addShutdownHook(new Thread(demo::cleanUp, "demo-cleanup"));
        demo.startWatchdog();
        int status;
        try {
            status = demo.run();
        } catch (Throwable t) {
            System.err.println("demo: failed: " + t);
            t.printStackTrace();
            status = 1;
        }
        System.exit(status);
    }

    private static Options parse(String[] args) {
        Options o = new Options();
        Path here = codeLocation();
        // demo-app/target/jlivepatch-demo.jar, or demo-app/target/classes when run from an IDE
        Path target = here.getParent();
        o.root = target.getParent() != null && target.getParent().getParent() != null
                ? target.getParent().getParent() : target;
        o.agentJar = o.root.resolve("agent/target/jlivepatch-agent.jar");
        o.patchJar = target.resolve("jlivepatch-demo-fix-traversal.jar");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            boolean hasValue = i + 1 < args.length;
            switch (a) {
                case "--clients" -> {
                    try {
                        o.clients = hasValue ? Integer.parseInt(args[++i]) : 0;
                    } catch (NumberFormatException e) {
                        o.clients = 0;
                    }
                    if (o.clients < 1 || o.clients > 64) {
                        usage("--clients takes a number from 1 to 64");
                    }
                }
                case "--agent-jar", "--patch-jar", "--work-dir" -> {
                    if (!hasValue) {
                        usage(a + " takes a path");
                    }
                    Path p = Paths.get(args[++i]).toAbsolutePath().normalize();
                    if (a.equals("--agent-jar")) {
                        o.agentJar = p;
                    } else if (a.equals("--patch-jar")) {
                        o.patchJar = p;
                    } else {
                        o.workDir = p;
                    }
                }
                case "--help", "-h" -> usage(null);
                default -> usage("unknown argument: " + a);
            }
        }
        for (Path jar : List.of(o.agentJar, o.patchJar)) {
            if (!Files.isRegularFile(jar)) {
                System.err.println("demo: " + jar + " is missing: build the project first (mvn -B install"
                        + " -DskipTests in " + o.root + "), or just run demo-app/run-demo.sh, which does");
                System.exit(2);
            }
        }
        return o;
    }

    private static void usage(String error) {
        PrintStream out = error == null ? System.out : System.err;
        if (error != null) {
            out.println("demo: " + error);
        }
        out.println("usage: java -cp demo-app/target/jlivepatch-demo.jar " + LivePatchDemo.class.getName()
                + " [--clients N] [--agent-jar <jlivepatch-agent.jar>] [--patch-jar <patch.jar>]"
                + " [--work-dir <dir>]");
        out.println("  --work-dir: where the served files go and where the service's pid is written (service.pid),"
                + " so that the caller can stop it should this demo be killed; by default a temporary directory");
        System.exit(error == null ? 0 : 2);
    }

    private static Path codeLocation() {
        try {
            return Paths.get(LivePatchDemo.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toAbsolutePath().normalize();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the demo's own classes", e);
        }
    }

    private static Path javaCommand() {
        return Paths.get(System.getProperty("java.home"), "bin", "java");
    }

    /** Whatever goes wrong, the demo and its processes never outlive its time budget. */
    private void startWatchdog() {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(DEMO_MAX_RUN.toMillis());
                System.err.println("demo: still running after " + DEMO_MAX_RUN.toSeconds() + " s: giving up");
                cleanUp();
                Runtime.getRuntime().halt(3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo-watchdog");
        t.setDaemon(true);
        t.start();
    }

    /** Leaves nothing behind: no service process, no jlivepatch command, no files. Idempotent. */
    private void cleanUp() {
        jlivepatch.kill();
        ServiceProcess s = service;
        if (s != null && s.isAlive()) {
            s.kill();
        }
        Path t = tmp;
        if (t != null && (s == null || !s.isAlive())) {
            deleteTree(t);
        }
    }

    private int run() throws Exception {
        OUT.println("jlivepatch demo: fixing a path-traversal hole in a running HTTP service, under load");
        OUT.println("JDK " + Runtime.version() + " (" + System.getProperty("java.home") + ")");
        OUT.println("commands run in " + options.root);

        tmp = options.workDir != null ? Files.createDirectories(options.workDir)
                : Files.createTempDirectory("jlivepatch-demo-");
        String patchName;
        String createdBy;
        try (JarFile jar = new JarFile(options.patchJar.toFile())) {
            patchName = jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue("Livepatch-Name");
            createdBy = patchName == null ? null : jar.getManifest().getMainAttributes().getValue("Created-By");
        }
        if (patchName == null) {
            OUT.println("demo: " + options.patchJar + " has no Livepatch-Name in its manifest: not a patch JAR");
            return 1;
        }
        // Maven makes the demo's patch with 'jlivepatch build' from demo-app/src/main/java (the
        // running build) and the same with demo-app/src/fixed/java compiled over it (the fixed build).
        OUT.println("patch JAR " + options.shown(options.patchJar) + " (" + patchName
                + ("jlivepatch build".equals(createdBy) ? ", made by jlivepatch build from the buggy and the fixed source" : "")
                + ")");

        long loadMillis = -1;
        long failed = 0;
        long holeChecks = 0;
        LoadClients clients = null;
        try {
            Path www = Files.createDirectories(tmp.resolve("www"));
            Path secret = Files.writeString(tmp.resolve("secret.txt"), SECRET);
            Map<String, byte[]> files = createFiles(www);

            heading("Start the file service in a JVM of its own, without jlivepatch");
            List<String> shownOptions = new ArrayList<>();
            for (String o : ServiceProcess.jvmOptions()) {
                shownOptions.add(o.startsWith("-Djava.util.logging") ? o.substring(0, o.indexOf('=') + 1) + "..." : o);
            }
            OUT.println("  $ java " + String.join(" ", shownOptions) + " -cp " + options.shown(codeLocation())
                    + " com.acme.files.FileService " + www);
            service = ServiceProcess.start(javaCommand(), codeLocation(), www, tmp.resolve("service.pid"), OUT,
                    "  service| ", Duration.ofSeconds(20));
            long pid = service.pid();
            URI base = service.baseUri();
            OUT.println("  pid       " + pid);
            OUT.println("  serving   " + www + "/");
            OUT.println("  on        " + base + "/files?name=<file>   (e.g. ?name=docs/guide.txt)");
            OUT.println("  a secret  " + secret + "   (outside the served directory)");

            heading("Start " + options.clients + " clients that keep fetching legitimate files");
            HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            clients = new LoadClients(http, base, files, options.clients, CLIENTS_MAX_RUN);
            clients.start();
            OUT.println("  files     " + String.join(", ", files.keySet()));
            OUT.println("  each answer must be HTTP 200 with exactly the file's content");
            waitForLoad(clients, 2_000, Duration.ofSeconds(5));
            report(clients, "so far");

            heading("Show the hole: a request for " + HOLE);
            holeChecks++;
            holeCheck(http, base, true, "before the patch");

            heading("Load the fix into the running service with jlivepatch, while the clients run");
            long okBefore = clients.ok();
            long failedBefore = clients.failed();
            Jlivepatch.Result load = command("load", pid, options.shown(options.patchJar));
            loadMillis = Math.round(load.wallNanos() / 1e6);
            Matcher m = COMPLETE_IN.matcher(load.output());
            OUT.printf(Locale.ROOT, "  patch load took %d ms: the whole command (its JVM starts, attaches to pid %d,"
                    + " loads the agent, registers and enables the patch)%s%n", loadMillis, pid,
                    m.find() ? "; of that, register, enable and transition in the service took " + m.group(1) + " ms" : "");
            OUT.println("  meanwhile the clients got " + (clients.ok() - okBefore) + " answers, "
                    + (clients.failed() - failedBefore) + " failed");
            if (service.printedSharingWarning()) {
                OUT.println("  (the JVM's warning about sharing is harmless: jlivepatch put its dispatch classes on"
                        + " the boot class path, after which class data sharing serves boot classes only)");
            }

            heading("Show the hole closed");
            holeChecks++;
            holeCheck(http, base, false, "with the patch");

            heading("Show the patch's status");
            command("status", pid);

            heading("Take the patch off (disable, then unregister) and show the hole is back");
            command("unload", pid, patchName);
            holeChecks++;
            holeCheck(http, base, true, "after the patch");

            heading("Stop the clients and the service");
            if (!clients.allRunning()) {
                problems.add("a client stopped before the end of the demo");
            }
            boolean stopped = clients.stop(Duration.ofSeconds(15));
            OUT.println("  clients " + (stopped ? "stopped" : "did NOT stop within 15 s"));
            report(clients, "in all");
            if (service.stop(Duration.ofSeconds(10))) {
                OUT.println("  service stopped");
            } else {
                OUT.println("  the service did not stop within 10 s of SIGTERM: killed");
                problems.add("the service did not stop when asked");
            }
        } finally {
            if (clients != null) {
                clients.stop(Duration.ofSeconds(5));
                failed = clients.failed();
                for (String f : clients.failures()) {
                    OUT.println("  failed: " + f);
                }
            }
            ServiceProcess s = service;
            if (s != null && s.isAlive()) {
                s.stop(Duration.ofSeconds(5));
            }
            cleanUp();
        }
        if (failed > 0) {
            problems.add(failed + " legitimate request(s) failed");
        }
        long served;
        if (service.served().isPresent()) {
            served = service.served().getAsLong();
            long errors = service.serverErrors().orElse(0);
            if (errors > 0) {
                problems.add(errors + " request(s) ended in HTTP 500");
            }
        } else {
            served = clients.ok() + clients.failed() + holeChecks;
            OUT.println("  (the service did not report its total: requests served counts the answers the clients got)");
        }

        OUT.println();
        OUT.println(problems.isEmpty()
                ? "result: OK - no failed request, the hole was open, closed, then open again as expected"
                : "result: FAILED - " + String.join("; ", problems));
        OUT.println("summary: requests served=" + served + ", failed requests=" + failed
                + ", patch load took " + loadMillis + " ms");
        return problems.isEmpty() ? 0 : 1;
    }

    /** Runs a jlivepatch command, shows it as typed and what it printed; a non-zero exit is a problem. */
    private Jlivepatch.Result command(Object... args) throws IOException, InterruptedException {
        OUT.println("  $ " + jlivepatch.commandLine(args));
        Jlivepatch.Result r = jlivepatch.run(args);
        for (String line : r.output().split("\\R")) {
            if (!line.isEmpty()) {
                OUT.println("  | " + line);
            }
        }
        if (r.ok()) {
            OUT.printf(Locale.ROOT, "  (exit status 0, %d ms)%n", Math.round(r.wallNanos() / 1e6));
        } else {
            OUT.printf(Locale.ROOT, "  => jlivepatch %s exited with status %d after %d ms%n", args[0], r.exitCode(),
                    Math.round(r.wallNanos() / 1e6));
            problems.add("'jlivepatch " + args[0] + "' exited with status " + r.exitCode());
        }
        return r;
    }

    private void heading(String title) {
        OUT.println();
        OUT.println("[" + ++step + "/" + STEPS + "] " + title);
    }

    /** Asks for the file outside the directory and checks the answer against what should happen now. */
    private void holeCheck(HttpClient http, URI base, boolean expectOpen, String when) {
        var request = LoadClients.request(base, HOLE);
        OUT.println("  GET /files?" + request.uri().getRawQuery());
        int status;
        String body;
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            status = response.statusCode();
            body = response.body();
            OUT.println("  <- HTTP " + status + ": " + preview(body));
        } catch (IOException | InterruptedException e) {
            OUT.println("  <- no answer: " + e);
            problems.add("the hole check " + when + " got no answer");
            return;
        }
        boolean leaked = status == 200 && body.equals(SECRET);
        boolean refused = status == 403 && !body.contains(SECRET.strip());
        if (expectOpen) {
            if (leaked) {
                OUT.println("  => the secret file outside the directory was served: the hole is OPEN (expected "
                        + when + ")");
            } else {
                OUT.println("  => UNEXPECTED: the hole should be open " + when);
                problems.add("the hole check " + when + " got HTTP " + status + " instead of the secret");
            }
        } else {
            if (refused) {
                OUT.println("  => refused with HTTP 403: the hole is CLOSED (expected " + when + ")");
            } else {
                OUT.println("  => UNEXPECTED: the hole should be closed " + when + " (HTTP 403)");
                problems.add("the hole check " + when + " got HTTP " + status + " instead of 403");
            }
        }
    }

    private static void waitForLoad(LoadClients clients, long requests, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (clients.ok() + clients.failed() < requests && System.nanoTime() - end < 0) {
            Thread.sleep(50);
        }
    }

    private static void report(LoadClients clients, String when) {
        OUT.printf(Locale.ROOT, "  clients: %d answers %s (%.1f s), %d failed%n",
                clients.ok(), when, clients.runningNanos() / 1e9, clients.failed());
    }

    /** The files the clients ask for, and the content each must come back with. */
    private static Map<String, byte[]> createFiles(Path www) throws IOException {
        Files.createDirectories(www.resolve("docs"));
        Files.createDirectories(www.resolve("data"));
        String hello = "Hello from the file service!\n";
        String guide = "Guide\n=====\nAsk for a file with GET /files?name=<path relative to the served directory>.\n";
        StringBuilder csv = new StringBuilder("n,square\n");
        for (int i = 1; i <= 200; i++) {
            csv.append(i).append(',').append(i * i).append('\n');
        }
        Files.writeString(www.resolve("hello.txt"), hello);
        Files.writeString(www.resolve("docs/guide.txt"), guide);
        Files.writeString(www.resolve("data/numbers.csv"), csv);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("hello.txt", hello.getBytes(StandardCharsets.UTF_8));
        files.put("docs/guide.txt", guide.getBytes(StandardCharsets.UTF_8));
        files.put("data/numbers.csv", csv.toString().getBytes(StandardCharsets.UTF_8));
        // ".." that stays inside the directory is legitimate: the fix must still serve it.
        files.put("docs/../hello.txt", hello.getBytes(StandardCharsets.UTF_8));
        return files;
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("demo: could not delete " + root + ": " + e);
        }
    }

    /** One line, at most 60 characters, quoted. */
    static String preview(String body) {
        String s = body.strip().replace("\n", "\\n");
        return "\"" + (s.length() > 60 ? s.substring(0, 57) + "..." : s) + "\"";
    }
}
