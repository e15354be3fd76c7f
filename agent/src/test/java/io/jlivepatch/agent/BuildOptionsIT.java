package io.jlivepatch.agent;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The options and inputs of {@code jlivepatch build} beyond two JARs: {@code --replace} and
 * {@code --state}, {@code --source} (the new build compiled from the changed class's source
 * against the old build), Maven projects and class directories, and the refusals for inputs that
 * make no patch. The application, compiled here: a price service of several classes and a library
 * JAR, whose {@code Pricer} gets a bulk discount in the fix.
 */
class BuildOptionsIT {

    private static final String PRICER = "com/acme/calc/Pricer.java";
    private static final Map<String, String> APP = new LinkedHashMap<>();
    private static final String FIXED_PRICER = """
            package com.acme.calc;

            import com.lib.Rounding;

            public final class Pricer {
                private static final int UNIT = 250;

                private Pricer() {
                }

                public static String total(int quantity) {
                    // the fix: ten or more at a tenth off, rounded as the library rounds
                    int net = quantity >= 10 ? Rounding.down(quantity * UNIT * 9, 10) : quantity * UNIT;
                    return Format.money(Tax.gross(net));
                }

                static String describe() {
                    return "unit " + UNIT;
                }
            }
            """;

    static {
        APP.put("com/acme/calc/Main.java", """
                package com.acme.calc;

                import java.io.BufferedReader;
                import java.io.InputStreamReader;

                public final class Main {
                    public static void main(String[] args) throws Exception {
                        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                        System.out.println("ready");
                        for (String line; (line = in.readLine()) != null && !line.equals("quit"); ) {
                            System.out.println("result=" + Pricer.total(Integer.parseInt(line)));
                        }
                    }
                }
                """);
        APP.put(PRICER, """
                package com.acme.calc;

                public final class Pricer {
                    private static final int UNIT = 250;

                    private Pricer() {
                    }

                    public static String total(int quantity) {
                        return Format.money(Tax.gross(quantity * UNIT));
                    }

                    static String describe() {
                        return "unit " + UNIT;
                    }
                }
                """);
        APP.put("com/acme/calc/Tax.java", """
                package com.acme.calc;

                final class Tax {
                    static int gross(int cents) {
                        return cents + cents / 5;
                    }
                }
                """);
        APP.put("com/acme/util/Format.java", """
                package com.acme.util;

                public final class Format {
                    public static String cents(int c) {
                        return c / 100 + "." + String.format("%02d", c % 100);
                    }
                }
                """);
        APP.put("com/acme/calc/Format.java", """
                package com.acme.calc;

                final class Format {
                    static String money(int cents) {
                        return "EUR " + com.acme.util.Format.cents(cents);
                    }
                }
                """);
    }

    private static final List<String> QUANTITIES = List.of("1", "4", "10", "12");
    private static final String CHANGED = "changed function: com.acme.calc.Pricer.total(I)Ljava/lang/String;";

    @TempDir
    Path dir;

    private Path lib;
    private Path oldJar;
    private Path newJar;

    @BeforeEach
    void compileTheReleases() throws IOException {
        Path libClasses = compile(Map.of("com/lib/Rounding.java", """
                package com.lib;

                public final class Rounding {
                    public static int down(int value, int divisor) {
                        return value / divisor;
                    }
                }
                """), "lib", 17, List.of());
        lib = jar(libClasses, dir.resolve("lib.jar"), Map.of());
        oldJar = jar(compile(APP, "old", 17, List.of(lib)), dir.resolve("app-1.0.jar"), Map.of());
        Map<String, String> fixed = new LinkedHashMap<>(APP);
        fixed.put(PRICER, FIXED_PRICER);
        newJar = jar(compile(fixed, "new", 17, List.of(lib)), dir.resolve("app-1.0-fixed.jar"), Map.of());
    }

    // ---- --replace and --state

    @Test
    void replaceAndStateAreWrittenToTheManifestAndShownByStatus() throws Exception {
        Path patch = dir.resolve("fix-v2.jar");
        Cli build = Cli.run("build", "--old", oldJar, "--new", newJar, "--name", "fix-v2", "--replace",
                "--state", "1:2", "--state", "7:1", "-o", patch);
        assertEquals(0, build.exitCode(), build.toString());
        try (JarFile jar = new JarFile(patch.toFile())) {
            Attributes a = jar.getManifest().getMainAttributes();
            assertEquals("true", a.getValue("Livepatch-Replace"));
            assertEquals("1:2 7:1", a.getValue("Livepatch-States"));
        }
        Cli inspect = Cli.run("inspect", patch);
        assertTrue(inspect.out().lines().anyMatch(l -> l.matches("\\s*cumulative:\\s+true"))
                && inspect.out().lines().anyMatch(l -> l.matches("\\s*states:\\s+1:2 7:1")), inspect.toString());

        try (App app = new App(oldJar)) {
            assertEquals(0, Cli.run("load", app.pid(), patch).exitCode());
            Cli status = Cli.run("status", app.pid());
            assertTrue(status.out().contains("1. fix-v2 [enabled, cumulative]")
                    && status.out().contains("states: 1:2 7:1"), status.toString());
        }

        // without them: neither attribute
        Path plain = dir.resolve("fix.jar");
        assertEquals(0, Cli.run("build", "--old", oldJar, "--new", newJar, "--name", "fix", "-o", plain).exitCode());
        try (JarFile jar = new JarFile(plain.toFile())) {
            assertNull(jar.getManifest().getMainAttributes().getValue("Livepatch-Replace"));
            assertNull(jar.getManifest().getMainAttributes().getValue("Livepatch-States"));
        }
    }

    @Test
    void everyBadStateIsAUsageErrorAndWritesNothing() {
        Path patch = dir.resolve("fix.jar");
        Map<List<String>, String> bad = new LinkedHashMap<>();
        for (String malformed : List.of("x", "1", "1:", ":2", "1:2:3", "a:1", "1:b", "1:2.5")) {
            bad.put(List.of(malformed), "--state '" + malformed + "' is not id:version: give the state's id and"
                    + " version as numbers, e.g. --state 1:2");
        }
        bad.put(List.of("99999999999999999999:1"), "--state '99999999999999999999:1' has a number out of range (ids"
                + " go up to 9223372036854775807, versions up to 2147483647): give the state's id and version as"
                + " numbers, e.g. --state 1:2");
        bad.put(List.of("1:0"), "--state '1:0': state 1 has version 0: versions start at 1");
        bad.put(List.of("1:-3"), "--state '1:-3': state 1 has version -3: versions start at 1");
        bad.put(List.of("-1:2"), "--state '-1:2': state id -1 is negative: use an id of 0 or more");
        bad.put(List.of("4:1", "4:2"), "--state '4:2': state 4 is given twice: give each state id one version");
        bad.forEach((values, message) -> {
            List<Object> args = new ArrayList<>(List.of("build", "--old", oldJar, "--new", newJar, "--name", "fix",
                    "-o", patch));
            values.forEach(v -> args.addAll(List.of("--state", v)));
            Cli c = Cli.run(args.toArray());
            assertEquals(2, c.exitCode(), values + ": " + c);
            assertTrue(c.err().contains(message), values + ": " + c);
            assertFalse(Files.exists(patch), values + " writes nothing");
        });
    }

    // ---- --source

    @Test
    void aSourceBuildOfOneChangedClassMakesTheSamePatchAsTheNewBuildAndItLoads() throws Exception {
        Path fixedSource = Files.createDirectories(dir.resolve("fix-src/com/acme/calc")).resolve("Pricer.java");
        Files.writeString(fixedSource, FIXED_PRICER);

        Cli fromNew = Cli.run("build", "--old", oldJar, "--new", newJar, "--dry-run");
        Cli fromSource = Cli.run("build", "--old", oldJar, "--source", fixedSource, "--classpath", lib, "--dry-run");
        assertEquals(0, fromNew.exitCode(), fromNew.toString());
        assertEquals(0, fromSource.exitCode(), fromSource.toString());
        assertEquals(List.of(CHANGED), changedFunctions(fromNew));
        assertEquals(changedFunctions(fromNew), changedFunctions(fromSource));
        assertTrue(fromSource.out().contains("note: compiled 1 source file(s) with javac "
                + System.getProperty("java.version") + " (the running JDK) at --release 17, the level of the old classes"
                + " they replace (major 61)"), fromSource.toString());

        // a directory of sources, and the patch: the same carrier class as from the --new build
        Path viaNew = dir.resolve("via-new.jar");
        Path viaSource = dir.resolve("fix-bulk.jar");
        assertEquals(0, Cli.run("build", "--old", oldJar, "--new", newJar, "--name", "fix-bulk", "-o", viaNew).exitCode());
        Cli build = Cli.run("build", "--old", oldJar, "--source", dir.resolve("fix-src"), "--classpath",
                dir.resolve("nothing-here") + File.pathSeparator + lib, "--name", "fix-bulk", "-o", viaSource);
        assertEquals(0, build.exitCode(), build.toString());
        String carrier = "com/acme/calc/Pricer$$Livepatch.class";
        try (JarFile a = new JarFile(viaNew.toFile()); JarFile b = new JarFile(viaSource.toFile())) {
            assertArrayEquals(a.getInputStream(a.getEntry(carrier)).readAllBytes(),
                    b.getInputStream(b.getEntry(carrier)).readAllBytes());
            assertEquals(a.getManifest().getMainAttributes().getValue("Livepatch-Old-Build-SHA256"),
                    b.getManifest().getMainAttributes().getValue("Livepatch-Old-Build-SHA256"));
        }

        List<String> fixed;
        try (App app = new App(newJar)) {
            fixed = app.answers();
        }
        try (App app = new App(oldJar)) {
            List<String> original = app.answers();
            assertNotEquals(fixed, original, "the fix should show");
            Cli load = Cli.run("load", app.pid(), viaSource);
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(fixed, app.answers(), "the running 1.0 patched from the source answers as 1.0-fixed");
        }
    }

    @Test
    void theCompilerIsNotedWhenTheOldBuildSaysAnotherMadeIt() throws Exception {
        Path made = jar(dir.resolve("old"), dir.resolve("app-made.jar"), Map.of("Created-By", "11.0.2 (Example)"));
        Path fixedSource = Files.writeString(dir.resolve("Pricer.java"), FIXED_PRICER);
        Cli c = Cli.run("build", "--old", made, "--source", fixedSource, "--classpath", lib, "--dry-run");
        assertEquals(0, c.exitCode(), c.toString());
        assertTrue(c.out().contains("note: the old build was made by JDK 11.0.2 (its manifest's Created-By) and the"
                + " sources compiled by " + System.getProperty("java.version") + ": a changed function may differ only"
                + " because the compilers differ"), c.toString());
        Cli same = Cli.run("build", "--old", oldJar, "--source", fixedSource, "--classpath", lib, "--dry-run");
        assertFalse(same.out().contains("the old build was made by"), same.toString());
    }

    @Test
    void sourcesThatDoNotCompileExit1WithTheCompilersErrorsAndNoFile() throws Exception {
        Path patch = dir.resolve("fix.jar");
        Path broken = Files.writeString(dir.resolve("Pricer.java"),
                FIXED_PRICER.replace("return Format.money(Tax.gross(net));", "return Format.money(Tax.grosss(net));"));
        Cli c = Cli.run("build", "--old", oldJar, "--source", broken, "--classpath", lib, "--name", "fix", "-o", patch);
        assertEquals(1, c.exitCode(), c.toString());
        assertTrue(c.err().contains("the --source files do not compile with javac " + System.getProperty("java.version")
                + " at --release 17 (1 error); nothing written:"), c.toString());
        assertTrue(c.err().contains(broken + ":14: cannot find symbol"), c.toString());
        assertFalse(c.err().contains("^"), "no caret lines: " + c);
        assertFalse(Files.exists(patch));

        // without the library it needs
        Path fixedSource = Files.writeString(Files.createDirectories(dir.resolve("fixed")).resolve("Pricer.java"),
                FIXED_PRICER);
        Cli noLib = Cli.run("build", "--old", oldJar, "--source", fixedSource, "--name", "fix", "-o", patch);
        assertEquals(1, noLib.exitCode(), noLib.toString());
        assertTrue(noLib.err().contains("package com.lib does not exist"), noLib.toString());

        // a syntax error: refused before anything else
        Path syntax = Files.writeString(dir.resolve("Broken.java"), "package com.acme.calc; class Broken {");
        Cli s = Cli.run("build", "--old", oldJar, "--source", syntax, "--dry-run");
        assertEquals(1, s.exitCode(), s.toString());
        assertTrue(s.err().contains("javac cannot parse the --source files (1 error); nothing written:")
                && s.err().contains(syntax + ":1: reached end of file while parsing"), s.toString());
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith(".fix.jar")), "no temporary file");
        }
    }

    @Test
    void aSourceOfNoClassOfTheOldBuildIsRefused() throws Exception {
        Path stray = Files.writeString(dir.resolve("Pricr.java"), FIXED_PRICER.replace("class Pricer", "class Pricr")
                .replace("private Pricer()", "private Pricr()"));
        Cli c = Cli.run("build", "--old", oldJar, "--source", stray, "--classpath", lib, "--name", "fix",
                "-o", dir.resolve("fix.jar"));
        assertEquals(1, c.exitCode(), c.toString());
        assertTrue(c.err().contains("none of the --source classes (com.acme.calc.Pricr) is a class of the old build "
                + oldJar + ": give the sources of changed classes of that build"), c.toString());
        assertFalse(Files.exists(dir.resolve("fix.jar")));

        Cli notJava = Cli.run("build", "--old", oldJar, "--source", lib, "--dry-run");
        assertEquals(1, notJava.exitCode(), notJava.toString());
        assertTrue(notJava.err().contains("--source " + lib + " is not a .java file"), notJava.toString());
        Cli both = Cli.run("build", "--old", oldJar, "--new", newJar, "--source", stray, "--dry-run");
        assertEquals(2, both.exitCode(), both.toString());
        assertTrue(both.err().contains("give --new or --source, not both"), both.toString());
        Cli neither = Cli.run("build", "--old", oldJar, "--dry-run");
        assertEquals(2, neither.exitCode(), neither.toString());
        Cli classpathAlone = Cli.run("build", "--old", oldJar, "--new", newJar, "--classpath", lib, "--dry-run");
        assertEquals(2, classpathAlone.exitCode(), classpathAlone.toString());
    }

    @Test
    void sourcesForClassesOfTwoBytecodeLevelsOrOneTheCompilerCannotTargetAreRefused() throws Exception {
        // Tax compiled for Java 11, the rest for 17
        Path mixed = Files.createDirectories(dir.resolve("mixed"));
        copyTree(dir.resolve("old"), mixed);
        Path tax11 = compile(Map.of("com/acme/calc/Tax.java", APP.get("com/acme/calc/Tax.java")), "tax11", 11, List.of());
        Files.copy(tax11.resolve("com/acme/calc/Tax.class"), mixed.resolve("com/acme/calc/Tax.class"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("Pricer.java"), FIXED_PRICER);
        Files.writeString(src.resolve("Tax.java"), APP.get("com/acme/calc/Tax.java"));
        Cli c = Cli.run("build", "--old", mixed, "--source", src, "--classpath", lib, "--dry-run");
        assertEquals(1, c.exitCode(), c.toString());
        assertTrue(c.err().contains("the --source classes replace old classes of different bytecode levels, Java 11"
                + " (major 55): com.acme.calc.Tax; Java 17 (major 61): com.acme.calc.Pricer: make one patch per level"),
                c.toString());

        // a level past the running JDK's: Pricer's class file says one release newer than this JDK
        Path future = Files.createDirectories(dir.resolve("future"));
        copyTree(dir.resolve("old"), future);
        Path pricer = future.resolve("com/acme/calc/Pricer.class");
        byte[] bytes = Files.readAllBytes(pricer);
        int feature = Runtime.version().feature();
        int major = feature + 1 + 44;
        bytes[6] = (byte) (major >> 8);
        bytes[7] = (byte) major;
        Files.write(pricer, bytes);
        Cli f = Cli.run("build", "--old", future, "--source", src.resolve("Pricer.java"), "--classpath", lib, "--dry-run");
        assertEquals(1, f.exitCode(), f.toString());
        assertTrue(f.err().contains("the old classes are Java " + (feature + 1) + " bytecode (major " + major + ");"
                + " this JDK's compiler (" + System.getProperty("java.version") + ") targets at most --release "
                + feature + ": run jlivepatch build with JDK " + (feature + 1) + " or later"), f.toString());
    }

    @Test
    void withoutACompilerSourceBuildsAreRefused() throws Exception {
        // the agent JAR's command on a runtime of the Java SE modules and the attach API only (what
        // a JRE has, and the command needs): javax.tools, but no javac
        Path fixedSource = Files.writeString(dir.resolve("Pricer.java"), FIXED_PRICER);
        Process p = new ProcessBuilder(TestJars.java(), "--limit-modules", "java.se,jdk.attach", "-jar", TestJars.AGENT.toString(),
                "build", "--old", oldJar.toString(), "--source", fixedSource.toString(), "--dry-run")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains("has no Java compiler: run jlivepatch build --source with a JDK, not a JRE"), out);
    }

    // ---- inputs

    @Test
    void classDirectoriesAndMavenProjectsAreBuildsAsJarsAre() throws Exception {
        Path project = Files.createDirectories(dir.resolve("app"));
        Files.writeString(project.resolve("pom.xml"), "<project/>");
        copyTree(dir.resolve("old"), Files.createDirectories(project.resolve("target/classes")));
        for (Object old : List.of(project, project.resolve("target"), project.resolve("target/classes"), oldJar)) {
            Cli c = Cli.run("build", "--old", old, "--new", dir.resolve("new"), "--dry-run");
            assertEquals(0, c.exitCode(), old + ": " + c);
            assertEquals(List.of(CHANGED), changedFunctions(c), old + ": " + c);
        }
        // a directory above the packages' root names the class that is out of place
        Cli above = Cli.run("build", "--old", dir.resolve("app/target/classes/com"), "--new", newJar, "--dry-run");
        assertEquals(1, above.exitCode(), above.toString());
        assertTrue(above.err().contains("holds class com.acme.calc.Format as acme/calc/Format.class: give the JAR or"
                + " the directory its packages start in (for a Maven project, target/classes)"), above.toString());
    }

    @Test
    void anIncludeThatMatchesNothingIsNamedWithThePackagesThereAre() {
        Path patch = dir.resolve("fix.jar");
        for (Object[] args : List.of(
                new Object[] {"build", "--old", oldJar, "--new", newJar, "--include", "com.shop.*", "--name", "fix", "-o", patch},
                new Object[] {"build", "--old", oldJar, "--new", newJar, "--include", "com.acme.calc.*", "--include",
                        "com.shop.*", "--dry-run"})) {
            Cli c = Cli.run(args);
            assertEquals(1, c.exitCode(), c.toString());
            assertTrue(c.err().contains("--include 'com.shop.*' matched no class of the old build (its classes are in"
                    + " packages: com.acme.calc, com.acme.util): give a binary class name"), c.toString());
            assertEquals("", c.out(), "no report, no \"1 change\": " + c);
            assertFalse(Files.exists(patch));
        }
        // a pattern that matches classes of which none changed: nothing to patch, said so
        Cli unchanged = Cli.run("build", "--old", oldJar, "--new", newJar, "--include", "com.acme.util.*", "--name",
                "fix", "-o", patch);
        assertEquals(1, unchanged.exitCode(), unchanged.toString());
        assertTrue(unchanged.err().contains("no method changed between " + oldJar + " and " + newJar + " in the classes"
                + " --include 'com.acme.util.*' matches: there is nothing to patch"), unchanged.toString());
        assertFalse(Files.exists(patch));
    }

    @Test
    void anInputWithoutClassFilesIsRefused() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path noClasses = jar(Files.createDirectories(dir.resolve("res")), dir.resolve("no-classes.jar"), Map.of());
        Path patch = dir.resolve("fix.jar");
        Cli oldEmpty = Cli.run("build", "--old", empty, "--new", newJar, "--name", "fix", "-o", patch);
        assertEquals(1, oldEmpty.exitCode(), oldEmpty.toString());
        assertTrue(oldEmpty.err().contains("the build " + empty + " has no class files: give the application's JAR, a"
                + " directory of its classes, or a Maven project"), oldEmpty.toString());
        Cli newEmpty = Cli.run("build", "--old", oldJar, "--new", noClasses, "--dry-run");
        assertEquals(1, newEmpty.exitCode(), newEmpty.toString());
        assertTrue(newEmpty.err().contains("the build " + noClasses + " has no class files"), newEmpty.toString());
        assertFalse(Files.exists(patch));
    }

    // ---- helpers

    private static List<String> changedFunctions(Cli c) {
        return c.out().lines().filter(l -> l.startsWith("changed function: ")).toList();
    }

    /** Compiles {@code sources} (path to text) with -g -proc:none at {@code release} into dir/{@code name}. */
    private Path compile(Map<String, String> sources, String name, int release, List<Path> classpath) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src-" + name));
        List<Path> files = new ArrayList<>();
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path f = src.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            files.add(Files.writeString(f, e.getValue()));
        }
        Path out = Files.createDirectories(dir.resolve(name));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            List<String> options = new ArrayList<>(List.of("--release", Integer.toString(release), "-g", "-proc:none",
                    "-d", out.toString()));
            if (!classpath.isEmpty()) {
                options.addAll(List.of("-classpath", String.join(File.pathSeparator,
                        classpath.stream().map(Path::toString).toList())));
            }
            assertTrue(javac.getTask(null, fm, diagnostics, options, null, fm.getJavaFileObjectsFromPaths(files)).call(),
                    "cannot compile " + name + ": " + diagnostics.getDiagnostics());
        }
        return out;
    }

    private static Path jar(Path classes, Path jar, Map<String, String> attributes) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        attributes.forEach((k, v) -> m.getMainAttributes().putValue(k, v));
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os, m);
             Stream<Path> s = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) s.filter(Files::isRegularFile).sorted()::iterator) {
                jos.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                jos.write(Files.readAllBytes(f));
                jos.closeEntry();
            }
        }
        return jar;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path f : (Iterable<Path>) s.sorted()::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** The old or the new release running as a service in a JVM of its own, with the library. */
    private final class App implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;
        private final PrintWriter in;

        App(Path jar) throws IOException {
            process = new ProcessBuilder(TestJars.java(), "-XX:+IgnoreUnrecognizedVMOptions",
                    "-XX:+EnableDynamicAgentLoading", "-cp", jar + File.pathSeparator + lib, "com.acme.calc.Main")
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

        List<String> answers() throws IOException {
            List<String> answers = new ArrayList<>();
            for (String q : QUANTITIES) {
                in.println(q);
                answers.add(q + " => " + out.readLine());
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
}
