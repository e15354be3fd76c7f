package io.jlivepatch.agent;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/** Patch JARs and application class directories made from this module's test classes. */
final class TestJars {

    static final Path AGENT = Paths.get(System.getProperty("jlivepatch.agent.jar"));
    static final Path TEST_CLASSES = Paths.get(System.getProperty("jlivepatch.test.classes"));

    private TestJars() {
    }

    /** A JAR with the given manifest attributes (none: no manifest) and classes (binary names). */
    static Path patchJar(Path dir, String file, Map<String, String> manifest, String... classes) throws IOException {
        Path jar = dir.resolve(file);
        try (OutputStream out = Files.newOutputStream(jar);
             JarOutputStream jos = manifest.isEmpty() ? new JarOutputStream(out) : new JarOutputStream(out, manifestOf(manifest))) {
            for (String c : classes) {
                String entry = c.replace('.', '/') + ".class";
                jos.putNextEntry(new JarEntry(entry));
                jos.write(Files.readAllBytes(TEST_CLASSES.resolve(entry)));
                jos.closeEntry();
            }
        }
        return jar;
    }

    static Path greeterFixJar(Path dir) throws IOException {
        return patchJar(dir, "fix-greet.jar", Map.of("Livepatch-Name", "fix-greet",
                "Livepatch-Description", "greet trims its input", "Livepatch-Class", "agentapp.fix.GreeterFix"),
                "agentapp.fix.GreeterFix");
    }

    static Path shoutFixJar(Path dir) throws IOException {
        return patchJar(dir, "fix-shout.jar", Map.of("Livepatch-Name", "fix-shout",
                "Livepatch-Class", "agentapp.fix.ShoutFix"), "agentapp.fix.ShoutFix");
    }

    static Path holdFixJar(Path dir) throws IOException {
        return patchJar(dir, "fix-hold.jar", Map.of("Livepatch-Name", "fix-hold",
                "Livepatch-Class", "agentapp.fix.HoldFix"), "agentapp.fix.HoldFix");
    }

    private static Manifest manifestOf(Map<String, String> attributes) {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        attributes.forEach((k, v) -> m.getMainAttributes().putValue(k, v));
        return m;
    }

    /** {@link #appClasses()}'s directory, made once per test JVM; guarded by TestJars.class. */
    private static Path appClasses;

    /**
     * A directory with the application classes only (package agentapp, not its fix subpackage): one
     * per test JVM, under target/ (a temporary directory per service left thousands behind in /tmp).
     */
    static synchronized Path appClasses() throws IOException {
        if (appClasses == null) {
            appClasses = copyAppClasses(Files.createTempDirectory(TEST_CLASSES.getParent(), "it-app-classes"));
        }
        return appClasses;
    }

    private static Path copyAppClasses(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("agentapp"));
        try (Stream<Path> s = Files.list(TEST_CLASSES.resolve("agentapp"))) {
            for (Path c : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(c)) {
                    Files.copy(c, dir.resolve("agentapp").resolve(c.getFileName()));
                }
            }
        }
        return dir;
    }

    /** What a JVM run to its end printed. */
    record Ran(String out, String err) {
    }

    /**
     * Runs {@code cmd} to its end, standard error to a file in {@code dir}; asserts that it ended
     * within 120 s (a hang detector, not a measurement) with exit code 0.
     */
    static Ran runToEnd(java.util.List<String> cmd, Path dir) throws Exception {
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        boolean ended = p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor();
        }
        String stderr = Files.readString(err);
        org.junit.jupiter.api.Assertions.assertTrue(ended, () -> "the JVM did not exit: " + out + stderr);
        org.junit.jupiter.api.Assertions.assertEquals(0, p.exitValue(), () -> out + stderr);
        return new Ran(out, stderr);
    }

    static String java() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * The {@code java} of an installed JDK on the other side of JDK 25 from this one (where the attach
     * protocol's second version starts): {@code -Djlivepatch.it.otherJdk=<home>}, else one beside this
     * JDK's home (/usr/lib/jvm/...), by its release file; null when there is none.
     */
    static String otherJava() throws IOException {
        boolean recent = Runtime.version().feature() >= 25;
        String given = System.getProperty("jlivepatch.it.otherJdk");
        Path here = Paths.get(System.getProperty("java.home")).toRealPath();
        try (Stream<Path> homes = given != null ? Stream.of(Paths.get(given))
                : Files.list(here.getParent())) {
            return homes.filter(h -> Files.isExecutable(h.resolve("bin/java")) && feature(h) > 0
                            && (feature(h) >= 25) != recent)
                    .sorted().map(h -> h.resolve("bin/java").toString()).findFirst().orElse(null);
        }
    }

    /** A JDK's feature release from its release file (JAVA_VERSION="25.0.1"), or 0. */
    private static int feature(Path home) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("JAVA_VERSION=\"(\\d+)").matcher(line);
                if (m.lookingAt()) {
                    return Integer.parseInt(m.group(1));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not a JDK
        }
        return 0;
    }
}
