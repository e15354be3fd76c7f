package io.jlivepatch.build;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * The application pairs of {@code src/test/resources/build-corpus}, compiled on demand with the
 * JDK's compiler ({@code --release 17 -g}, as Maven compiles) into temporary directories, each build
 * once per test JVM (one javac run per kind and build: see {@link #compileAll}).
 *
 * <p>A case is {@code build-corpus/<kind>/<name>/}; build {@code b} of it is the sources of
 * {@code both/} plus those of {@code b/} ({@code old}, {@code new}, ...). Every case has its own
 * package, {@code com.acme.<name>}, so that the cases never meet in one JVM.
 */
final class Corpus {

    static final List<String> DEBUG = List.of("-g");
    /** javac's own default: line numbers and source file, no local variable names. */
    static final List<String> NO_LOCALS = List.of();
    static final List<String> NO_DEBUG = List.of("-g:none");
    /** For Java 8, before nestmates (the options quiet javac's warning that 8 is old). */
    static final List<String> JAVA_8 = List.of("-g", "--release", "8", "-Xlint:-options");

    private static final Path ROOT = root();
    private static final Path OUT = tempRoot();
    private static final Map<String, Path> BUILT = new ConcurrentHashMap<>();
    private static final JavaCompiler JAVAC = ToolProvider.getSystemJavaCompiler();

    private Corpus() {
    }

    /** The cases of one kind ({@code supported}, {@code refused}, {@code other}), sorted by name. */
    static List<String> cases(String kind) {
        try (Stream<Path> s = Files.list(ROOT.resolve(kind))) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A source file of one build of a case ({@code com/acme/body/Pricing.java}), as it is in the corpus. */
    static Path source(String kind, String name, String build, String path) {
        return ROOT.resolve(kind).resolve(name).resolve(build).resolve(path);
    }

    /** The class directory of one build of a case, compiled with {@code -g}. */
    static Path build(String kind, String name, String build) {
        return build(kind, name, build, DEBUG);
    }

    /** The class directory of one build of a case, compiled with these options (debug, or another release). */
    static Path build(String kind, String name, String build, List<String> javacOptions) {
        Path caseDir = ROOT.resolve(kind).resolve(name);
        if (!Files.isDirectory(caseDir.resolve(build))) {
            throw new IllegalArgumentException("no build '" + build + "' in " + caseDir);
        }
        String batch = kind + "/" + build + "/" + String.join(" ", javacOptions);
        return BUILT.computeIfAbsent(batch, k -> compileAll(kind, build, javacOptions)).resolve(name);
    }

    /**
     * Compiles that build of every case of a kind in one go (javac is slow to start, fast to
     * go on), then moves each case's package into a directory of its own: {@code <dir>/<case>/com/acme/<case>}.
     */
    private static synchronized Path compileAll(String kind, String build, List<String> javacOptions) {
        String tag = build + (javacOptions.isEmpty() ? "-nolocals" : String.join("", javacOptions).replaceAll("[^A-Za-z0-9]", ""));
        try {
            Path all = Files.createDirectories(OUT.resolve(kind + "-" + tag + "-all"));
            Path split = Files.createDirectories(OUT.resolve(kind + "-" + tag));
            List<Path> sources = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (String name : cases(kind)) {
                Path caseDir = ROOT.resolve(kind).resolve(name);
                if (!Files.isDirectory(caseDir.resolve(build))) {
                    continue;
                }
                names.add(name);
                for (String part : List.of("both", build)) {
                    Path d = caseDir.resolve(part);
                    if (Files.isDirectory(d)) {
                        try (Stream<Path> s = Files.walk(d)) {
                            s.filter(p -> p.toString().endsWith(".java")).sorted().forEach(sources::add);
                        }
                    }
                }
            }
            DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
            try (StandardJavaFileManager files = JAVAC.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
                List<String> options = new ArrayList<>(List.of("-proc:none", "-implicit:none", "-encoding", "UTF-8",
                        "-d", all.toString()));
                if (!javacOptions.contains("--release")) {
                    options.addAll(List.of("--release", "17"));
                }
                options.addAll(javacOptions);
                boolean ok = JAVAC.getTask(null, files, diagnostics, options, null,
                        files.getJavaFileObjectsFromPaths(sources)).call();
                if (!ok) {
                    StringBuilder sb = new StringBuilder("cannot compile the " + build + " builds of " + kind + ":");
                    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                        sb.append('\n').append(d);
                    }
                    throw new AssertionError(sb);
                }
            }
            for (String name : names) {
                Path target = Files.createDirectories(split.resolve(name).resolve("com/acme"));
                Files.move(all.resolve("com/acme").resolve(name), target.resolve(name));
            }
            return split;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JAR of a class directory, entries in name order, no manifest attributes but the version. */
    static Path jar(Path classes, Path jar) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, m);
             Stream<Path> s = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) s.filter(Files::isRegularFile).sorted()::iterator) {
                jos.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                jos.write(Files.readAllBytes(f));
                jos.closeEntry();
            }
        }
        return jar;
    }

    /** The class files of a class directory, by internal name. */
    static Map<String, byte[]> classFiles(Path classes) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".class"))::iterator) {
                String rel = classes.relativize(f).toString().replace('\\', '/');
                out.put(rel.substring(0, rel.length() - ".class".length()), Files.readAllBytes(f));
            }
        }
        return out;
    }

    static String sha256(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                md.update(p);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path root() {
        URL url = Corpus.class.getClassLoader().getResource("build-corpus/README.md");
        if (url == null) {
            throw new IllegalStateException("build-corpus is not on the test class path");
        }
        try {
            return Paths.get(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path tempRoot() {
        try {
            Path dir = Files.createTempDirectory("jlivepatch-corpus");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
