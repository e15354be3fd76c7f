package io.jlivepatch.agent;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jlivepatch build} as an operator uses it: on the JARs of two releases of an application
 * (src/test/resources/build-app), then {@code jlivepatch load} of the patch into a JVM running the
 * old release, whose answers must become exactly the new release's.
 */
class BuildCommandIT {

    /** Orders for PriceCalc.quote, some of which make the new or both releases throw. */
    private static final List<String> INPUTS = List.of("apple 2", "pear 3", "kiwi 1", "apple 0", "pear -4", "apple x",
            "apple");
    private static final String CHANGED = "changed function: com.acme.shop.PriceCalc.quote(Ljava/lang/String;)Ljava/lang/String;";
    private static final String LEGACY_FIELD = "ERROR: com.other.Legacy.count: field type changed from I to J: a method"
            + " patch cannot change an object's layout; keep new state in a shadow variable instead (io.jlivepatch.Shadow: see \"Shadow"
            + " variables\" in the README)";

    private static Path work;
    private static Path oldJar;
    private static Path newJar;
    private static Path v11Jar;

    @TempDir
    Path dir;

    @BeforeAll
    static void buildTheReleases() throws IOException {
        work = Files.createTempDirectory("jlivepatch-build-it");
        oldJar = release("old", "app-1.0.jar");
        newJar = release("new", "app-1.0-fixed.jar");
        v11Jar = release("v11", "app-1.1.jar");
    }

    @AfterAll
    static void deleteTheReleases() throws IOException {
        try (Stream<Path> s = Files.walk(work)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void buildFromJarsWithIncludeThenLoadIntoTheRunningOldRelease() throws Exception {
        Path patch = dir.resolve("fix-quote.jar");
        // the real command, from the shaded agent JAR
        Run build = Run.java("-jar", TestJars.AGENT.toString(), "build", "--old", oldJar.toString(), "--new",
                newJar.toString(), "--name", "fix-quote", "--description", "quote() prices by fruit, with the discount",
                "--include", "com.acme.*", "-o", patch.toString());
        assertEquals(0, build.exitCode(), build.toString());
        assertEquals(List.of(CHANGED,
                "new function: com.acme.shop.PriceCalc.format(I)Ljava/lang/String;",
                "new function: " + lambdaOf(build.out()),
                "1 changed, 2 new function(s), 0 new class(es)",
                "patch written: " + patch), build.out().lines().toList(), build.toString());
        assertTrue(Files.isRegularFile(patch));
        try (JarFile jar = new JarFile(patch.toFile())) {
            Attributes a = jar.getManifest().getMainAttributes();
            assertEquals("fix-quote", a.getValue("Livepatch-Name"));
            assertEquals(sha256(oldJar), a.getValue("Livepatch-Old-Build-SHA256"));
            assertEquals(sha256(newJar), a.getValue("Livepatch-New-Build-SHA256"));
        }

        List<String> fixed;
        try (App app = new App(newJar)) {
            fixed = app.answers();
        }
        try (App app = new App(oldJar)) {
            List<String> original = app.answers();
            assertNotEquals(fixed, original, "the fix should show");

            Cli load = Cli.run("load", app.pid(), patch);
            assertEquals(0, load.exitCode(), load.toString());
            assertTrue(load.out().contains("'fix-quote': enabled in pid " + app.pid()), load.toString());
            assertEquals(String.join("\n", fixed), String.join("\n", app.answers()),
                    "the running 1.0 with the patch answers exactly as 1.0-fixed");

            Cli status = Cli.run("status", app.pid());
            assertTrue(status.out().contains("1. fix-quote [enabled]")
                    && status.out().contains("quote() prices by fruit, with the discount")
                    && status.out().contains("com.acme.shop.PriceCalc.quote(Ljava/lang/String;)Ljava/lang/String;"),
                    status.toString());

            Cli unload = Cli.run("unload", app.pid(), "fix-quote");
            assertEquals(0, unload.exitCode(), unload.toString());
            assertEquals(String.join("\n", original), String.join("\n", app.answers()), "unloaded: 1.0 again");
        }
    }

    @Test
    void aChangeThatCannotBePatchedIsRefusedWithOneErrorLinePerProblemAndNoFile() throws Exception {
        Path patch = dir.resolve("fix.jar");
        Run build = Run.java("-jar", TestJars.AGENT.toString(), "build", "--old", oldJar.toString(), "--new",
                newJar.toString(), "--name", "fix", "-o", patch.toString());
        assertEquals(1, build.exitCode(), build.toString());
        List<String> lines = build.out().lines().toList();
        assertTrue(lines.contains(CHANGED), build.toString());
        assertEquals(List.of(LEGACY_FIELD), lines.stream().filter(l -> l.startsWith("ERROR:")).toList(), build.toString());
        assertEquals("1 change cannot be live patched; no patch written", lines.get(lines.size() - 1));
        assertFalse(Files.exists(patch), "a refused build writes no file");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.toList(), "nor anything else");
        }

        // classes directories are accepted as well as JARs, and refused alike
        Cli dirs = Cli.run("build", "--old", classes("old"), "--new", classes("new"), "--name", "fix", "-o", patch);
        assertEquals(1, dirs.exitCode(), dirs.toString());
        assertTrue(dirs.out().contains(LEGACY_FIELD), dirs.toString());
        assertFalse(Files.exists(patch));
    }

    @Test
    void theDryRunPrintsTheReportOnlyAndWritesNothing() {
        Path patch = dir.resolve("fix.jar");
        Cli dry = Cli.run("build", "--old", oldJar, "--new", newJar, "--include", "com.acme.*", "--dry-run",
                "--name", "fix", "-o", patch);
        assertEquals(0, dry.exitCode(), dry.toString());
        List<String> lines = dry.out().lines().toList();
        assertEquals(List.of(CHANGED, "new function: com.acme.shop.PriceCalc.format(I)Ljava/lang/String;",
                "new function: " + lambdaOf(dry.out()), "1 changed, 2 new function(s), 0 new class(es)"), lines);
        assertFalse(Files.exists(patch), "--dry-run writes nothing, even with -o");

        // neither --name nor -o is needed for a dry run; a refused dry run exits 1
        Cli refused = Cli.run("build", "--old", oldJar, "--new", newJar, "--dry-run");
        assertEquals(1, refused.exitCode(), refused.toString());
        assertTrue(refused.out().contains(LEGACY_FIELD), refused.toString());
        assertTrue(refused.out().lines().noneMatch(l -> l.startsWith("patch written:")), refused.toString());
    }

    @Test
    void usageErrorsExitWith2AndBadInputsWith1() throws Exception {
        Path patch = dir.resolve("fix.jar");
        Run missingName = Run.java("-jar", TestJars.AGENT.toString(), "build", "--old", oldJar.toString(), "--new",
                newJar.toString(), "-o", patch.toString());
        assertEquals(2, missingName.exitCode(), missingName.toString());
        assertTrue(missingName.err().contains("--name and -o are required unless --dry-run is given"), missingName.toString());
        for (Object[] args : List.of(
                new Object[] {"build", "--old", oldJar, "--new", newJar, "--name", "fix"},
                new Object[] {"build", "--new", newJar, "--name", "fix", "-o", patch},
                new Object[] {"build", "--old", oldJar, "--name", "fix", "-o", patch},
                new Object[] {"build", "--old", oldJar, "--new", newJar, "--name", "fix", "-o", patch, "--bogus"})) {
            Cli c = Cli.run(args);
            assertEquals(2, c.exitCode(), c.toString());
        }

        Cli absent = Cli.run("build", "--old", dir.resolve("absent.jar"), "--new", newJar, "--name", "fix", "-o", patch);
        assertEquals(1, absent.exitCode(), absent.toString());
        assertTrue(absent.err().contains("absent.jar does not exist"), absent.toString());

        Path notJar = Files.writeString(dir.resolve("app.jar"), "not a jar");
        Cli bad = Cli.run("build", "--old", notJar, "--new", newJar, "--name", "fix", "-o", patch);
        assertEquals(1, bad.exitCode(), bad.toString());
        assertTrue(bad.err().contains("cannot read the build " + notJar) && bad.err().contains("not a JAR"), bad.toString());

        Cli badName = Cli.run("build", "--old", oldJar, "--new", newJar, "--include", "com.acme.*", "--name", "bad name",
                "-o", patch);
        // a usage error since helper-174's change (README's exit-code table): said before the builds are read
        assertEquals(2, badName.exitCode(), badName.toString());
        assertTrue(badName.err().contains("--name 'bad name' is not a patch name"), badName.toString());
        assertFalse(Files.exists(patch));
    }

    @Test
    void aPatchBuiltForOneReleaseIsRefusedOnAnotherAndChangesNothing() throws Exception {
        Path patch = dir.resolve("fix-quote.jar");
        Cli build = Cli.run("build", "--old", oldJar, "--new", newJar, "--include", "com.acme.*", "--name", "fix-quote",
                "-o", patch);
        assertEquals(0, build.exitCode(), build.toString());
        try (App app = new App(v11Jar)) {
            List<String> before = app.answers();
            Cli load = Cli.run("load", app.pid(), patch);
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("SIGNATURE_MISMATCH") && load.err().contains("com.acme.shop.PriceCalc"),
                    load.toString());
            assertEquals(before, app.answers(), "the 1.1 service is unchanged");
            assertTrue(Cli.run("status", app.pid()).out().contains("no patches registered"));
        }
    }

    @Test
    void anOutputThatCannotBeWrittenIsRefusedAndLeavesNothing() throws Exception {
        Path inMissingDir = dir.resolve("no-such-dir").resolve("fix.jar");
        Cli missing = Cli.run("build", "--old", oldJar, "--new", newJar, "--include", "com.acme.*", "--name", "fix",
                "-o", inMissingDir);
        assertEquals(1, missing.exitCode(), missing.toString());
        assertFalse(Files.exists(inMissingDir.getParent()));

        Path aDirectory = Files.createDirectories(dir.resolve("taken")).resolve("sub");
        Files.createDirectories(aDirectory.resolve("x"));
        Cli taken = Cli.run("build", "--old", oldJar, "--new", newJar, "--include", "com.acme.*", "--name", "fix",
                "-o", aDirectory);
        assertEquals(1, taken.exitCode(), taken.toString());
        try (Stream<Path> s = Files.list(aDirectory.getParent())) {
            assertEquals(List.of(aDirectory), s.toList(), "no temporary file left beside it");
        }
    }

    @Test
    void anOutputThatCannotBeWrittenIsNamedInTheMessage() {
        Path inMissingDir = dir.resolve("no-such-dir").resolve("fix.jar");
        Cli missing = Cli.run("build", "--old", oldJar, "--new", newJar, "--include", "com.acme.*", "--name", "fix",
                "-o", inMissingDir);
        assertEquals(1, missing.exitCode(), missing.toString());
        assertTrue(missing.err().contains(inMissingDir.toString()), missing.toString());
        assertFalse(missing.err().contains("cannot read the builds"), missing.toString());
    }

    /** The lambda body the new release adds, as the report names it (javac chooses the name). */
    private static String lambdaOf(String report) {
        return report.lines().filter(l -> l.startsWith("new function: com.acme.shop.PriceCalc.lambda$quote$"))
                .map(l -> l.substring("new function: ".length())).findFirst()
                .orElseThrow(() -> new AssertionError("no lambda in\n" + report));
    }

    // ---- the application's releases

    private static Path source() {
        URL url = BuildCommandIT.class.getClassLoader().getResource("build-app/README.md");
        try {
            return Paths.get(url.toURI()).getParent();
        } catch (Exception e) {
            throw new IllegalStateException("build-app is not on the test class path", e);
        }
    }

    private static Path classes(String release) {
        return work.resolve(release);
    }

    /** Compiles build-app's both/ and release/ (--release 17 -g, as Maven would) and packs them as a JAR. */
    private static Path release(String release, String jarName) throws IOException {
        Path out = Files.createDirectories(classes(release));
        List<Path> sources = new ArrayList<>();
        for (String part : List.of("both", release)) {
            try (Stream<Path> s = Files.walk(source().resolve(part))) {
                s.filter(p -> p.toString().endsWith(".java")).sorted().forEach(sources::add);
            }
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            boolean ok = javac.getTask(null, files, diagnostics, List.of("--release", "17", "-g", "-proc:none",
                    "-encoding", "UTF-8", "-d", out.toString()), null, files.getJavaFileObjectsFromPaths(sources)).call();
            assertTrue(ok, "cannot compile build-app/" + release + ": " + diagnostics.getDiagnostics());
        }
        Path jar = work.resolve(jarName);
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "com.acme.shop.ShopService");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os, m);
             Stream<Path> s = Files.walk(out)) {
            for (Path f : (Iterable<Path>) s.filter(Files::isRegularFile).sorted()::iterator) {
                jos.putNextEntry(new JarEntry(out.relativize(f).toString().replace('\\', '/')));
                jos.write(Files.readAllBytes(f));
                jos.closeEntry();
            }
        }
        return jar;
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    /** One release of the application running as a service in a JVM of its own. */
    private static final class App implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;
        private final PrintWriter in;

        App(Path jar) throws IOException {
            process = new ProcessBuilder(TestJars.java(), "-XX:+IgnoreUnrecognizedVMOptions",
                    "-XX:+EnableDynamicAgentLoading", "-cp", jar.toString(), "com.acme.shop.ShopService")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            String first = out.readLine();
            if (!"ready".equals(first)) {
                throw new IOException("the service did not start: " + first);
            }
        }

        long pid() {
            return process.pid();
        }

        /** What the service answers now to each of INPUTS. */
        List<String> answers() throws IOException {
            List<String> answers = new ArrayList<>();
            for (String input : INPUTS) {
                in.println("call " + input);
                String line = out.readLine();
                if (line == null || !line.startsWith("result=")) {
                    throw new IOException("unexpected answer: " + line);
                }
                answers.add(input + " => " + line.substring("result=".length()));
            }
            return answers;
        }

        @Override
        public void close() throws InterruptedException {
            in.println("quit");
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** A command run in a process of its own. */
    private record Run(int exitCode, String out, String err) {
        static Run java(String... args) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>(List.of(TestJars.java()));
            cmd.addAll(List.of(args));
            Path stdout = Files.createTempFile(work, "out", ".txt");
            Path stderr = Files.createTempFile(work, "err", ".txt");
            Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + cmd);
            }
            return new Run(p.exitValue(), Files.readString(stdout), Files.readString(stderr));
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\nout:\n" + out + "err:\n" + err;
        }
    }
}
