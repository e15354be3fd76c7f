package io.jlivepatch.internal.build;

import io.jlivepatch.internal.Text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The class files of one build: a JAR, a directory of classes, a Maven project (its
 * {@code target/classes}), a Spring Boot fat JAR or a WAR (their application classes and nested
 * libraries; see {@link Layout}), each class under its binary name.
 *
 * <p>A class a build holds more than once is taken as the launcher finds it: the application's
 * classes ({@code BOOT-INF/classes}, {@code WEB-INF/classes}) come before the libraries on Spring
 * Boot's and the servlet specification's class path, so the application's copy runs; between two
 * libraries the order is the launcher's or the container's, which this build cannot know.
 *
 * @param source     the path it was read from
 * @param classes    internal name to the class file that runs, sorted
 * @param sha256     of the JAR file, or of the sorted (name, bytes) pairs of a directory
 * @param duplicates the classes held with different content in more than one place, each with its
 *                   copies in class path order (the application's first, then the libraries by name)
 * @param layout     where the classes were: a nested layout's source is no class path entry for javac
 * @param notes      how the build was read, for the report: its layout (nested layouts only)
 * @param versioned  the classes multi-release JARs hold for later Javas, by entry
 *                   ({@code BOOT-INF/lib/x.jar!/META-INF/versions/11/a/B.class}): not compared, but where
 *                   they differ between the builds the JVM runs a change the patch cannot carry
 * @param flaws      the classes with a copy the JVM would not load (a control character in a name, a
 *                   descriptor that is no descriptor: see {@link ClassFileCheck}), each with its
 *                   refusal, given unless both builds hold the class unchanged ({@link FlawedClasses})
 */
record ClassSet(Path source, Map<String, byte[]> classes, String sha256, Map<String, List<Copy>> duplicates,
                Layout layout, List<String> notes, Map<String, byte[]> versioned, Map<String, Flaw> flaws) {

    /**
     * One class file as found.
     *
     * @param container {@code ""} (the root), {@code BOOT-INF/classes} or a nested JAR, {@code BOOT-INF/lib/x.jar}
     * @param entry     where it is, for messages: {@code BOOT-INF/lib/x.jar!/com/acme/Y.class}
     * @param flaw      why the JVM would not load it, naming the entry, or {@code null}
     */
    record Copy(String name, String container, String entry, byte[] bytes, String flaw) {
    }

    /**
     * A class the JVM would not load.
     *
     * @param refusal what a refusal of the build starts with ({@code cannot read the build x.jar: })
     * @param what    the entry and why ({@code entry a/B.class of x.jar is not a class file Java can load (...)})
     */
    record Flaw(String refusal, String what) {
    }

    ClassSet {
        duplicates = Map.copyOf(duplicates);
        notes = List.copyOf(notes);
        versioned = Map.copyOf(versioned);
        flaws = Map.copyOf(flaws);
    }

    /** A build made here (compiled sources), which holds each class once. */
    ClassSet(Path source, Map<String, byte[]> classes, String sha256) {
        this(source, classes, sha256, Map.of(), Layout.PLAIN, List.of(), Map.of(), Map.of());
    }

    static ClassSet read(Path given) throws IOException {
        ClassSet set;
        try {
            set = of(ArchiveReader.read(mavenClasses(given)), "cannot read the build " + Text.clean(given.toString()) + ": ");
        } catch (IOException e) {
            throw new IOException("cannot read the build " + Text.clean(given.toString()) + ": " + e.getMessage(), e);
        }
        if (set.classes().isEmpty()) {
            throw new IOException("the build " + Text.clean(given.toString()) + " has no class files: give the"
                    + " application's JAR, a directory of its classes, or a Maven project (its target/classes, once"
                    + " built)");
        }
        return set;
    }

    /** The copies read, resolved to one class file per name as the launcher would. */
    private static ClassSet of(ArchiveReader.Read read, String refusal) {
        Map<String, List<Copy>> byName = new TreeMap<>();
        for (Copy c : read.copies()) {
            byName.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(c);
        }
        Map<String, byte[]> classes = new TreeMap<>();
        Map<String, List<Copy>> duplicates = new TreeMap<>();
        Map<String, Flaw> flaws = new TreeMap<>();
        int application = 0;
        for (Map.Entry<String, List<Copy>> e : byName.entrySet()) {
            List<Copy> places = distinctContainers(e.getValue());
            e.getValue().stream().filter(c -> c.flaw() != null).findFirst()
                    .ifPresent(c -> flaws.put(e.getKey(), new Flaw(refusal, c.flaw())));
            classes.put(e.getKey(), places.get(0).bytes());
            if (!places.get(0).container().endsWith(".jar")) {
                application++;
            }
            if (places.stream().anyMatch(c -> !Arrays.equals(c.bytes(), places.get(0).bytes()))) {
                duplicates.put(e.getKey(), places);
            }
        }
        List<String> notes = new ArrayList<>();
        if (read.layout().nested()) {
            notes.add(read.source() + " is " + read.layout().description + ": compared " + application
                    + " classes of " + read.layout().classes.substring(0, read.layout().classes.length() - 1) + " and " + (classes.size() - application)
                    + " of its " + read.libraries() + " nested JARs" + (read.launcherClasses() == 0 ? ""
                    : "; the launcher's " + read.launcherClasses() + " classes at its root are left alone"));
        }
        return new ClassSet(read.source(), classes, read.sha256(), duplicates, read.layout(), notes, read.versioned(),
                flaws);
    }

    /** One copy per place: a class twice in one nested JAR is that JAR's business, not a conflict. */
    private static List<Copy> distinctContainers(List<Copy> copies) {
        Map<String, Copy> first = new LinkedHashMap<>();
        copies.forEach(c -> first.putIfAbsent(c.container(), c));
        return List.copyOf(first.values());
    }

    /** A Maven project, or its {@code target}, stands for its {@code target/classes}. */
    static Path mavenClasses(Path path) {
        if (Files.isRegularFile(path.resolve("pom.xml")) && Files.isDirectory(path.resolve("target/classes"))) {
            return path.resolve("target/classes");
        }
        if (path.getFileName() != null && path.getFileName().toString().equals("target")
                && Files.isDirectory(path.resolve("classes"))) {
            return path.resolve("classes");
        }
        return path;
    }

    /** The SHA-256 of a build that is no single file: of its (name, bytes) pairs, sorted by name. */
    static String digest(Map<String, byte[]> classes) {
        MessageDigest md = sha();
        new TreeMap<>(classes).forEach((name, bytes) -> {
            md.update(name.getBytes(StandardCharsets.UTF_8));
            md.update(bytes);
        });
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
