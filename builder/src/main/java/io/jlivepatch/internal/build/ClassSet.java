package io.jlivepatch.internal.build;

import org.objectweb.asm.ClassReader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.stream.Stream;

/**
 * The class files of one build: a JAR, a directory of classes, or a Maven project (its
 * {@code target/classes}). Every class file must sit at the path its name gives, so that the
 * names compared are the names the running JVM knows.
 *
 * @param source  the path it was read from
 * @param classes internal name to class file, sorted
 * @param sha256  of the JAR file, or of the sorted (name, bytes) pairs of a directory
 */
record ClassSet(Path source, Map<String, byte[]> classes, String sha256) {

    static ClassSet read(Path given) throws IOException {
        ClassSet set;
        try {
            set = readUnchecked(mavenClasses(given));
        } catch (IOException e) {
            throw new IOException("cannot read the build " + given + ": " + e.getMessage(), e);
        }
        if (set.classes().isEmpty()) {
            throw new IOException("the build " + given + " has no class files: give the application's JAR, a"
                    + " directory of its classes, or a Maven project (its target/classes, once built)");
        }
        checkNames(set);
        return set;
    }

    /** A Maven project, or its {@code target}, stands for its {@code target/classes}. */
    private static Path mavenClasses(Path path) {
        if (Files.isRegularFile(path.resolve("pom.xml")) && Files.isDirectory(path.resolve("target/classes"))) {
            return path.resolve("target/classes");
        }
        if (path.getFileName() != null && path.getFileName().toString().equals("target")
                && Files.isDirectory(path.resolve("classes"))) {
            return path.resolve("classes");
        }
        return path;
    }

    /**
     * Each class file must be where its name puts it: a directory above the packages' root (a
     * project, {@code target/}) or a JAR that nests its classes ({@code BOOT-INF/classes/}) would
     * otherwise give every class a wrong name and make a patch that matches nothing.
     */
    private static void checkNames(ClassSet set) throws IOException {
        for (Map.Entry<String, byte[]> e : set.classes().entrySet()) {
            String declared;
            try {
                declared = new ClassReader(e.getValue()).getClassName();
            } catch (RuntimeException malformed) {
                continue; // not a class file the JVM could load either; the comparison names it
            }
            if (!declared.equals(e.getKey())) {
                throw new IOException("the build " + set.source() + " holds class " + declared.replace('/', '.')
                        + " as " + e.getKey() + ".class: give the JAR or the directory its packages start in"
                        + " (for a Maven project, target/classes)");
            }
        }
    }

    private static ClassSet readUnchecked(Path path) throws IOException {
        Map<String, byte[]> classes = new TreeMap<>();
        if (Files.isDirectory(path)) {
            try (Stream<Path> files = Files.walk(path)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String rel = path.relativize(f).toString().replace('\\', '/');
                    if (Files.isRegularFile(f) && isClass(rel)) {
                        classes.put(rel.substring(0, rel.length() - 6), Files.readAllBytes(f));
                    }
                }
            }
            return new ClassSet(path, classes, digest(classes));
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException(path + " is neither a JAR nor a directory of classes");
        }
        try (InputStream in = Files.newInputStream(path); JarInputStream jar = new JarInputStream(in)) {
            JarEntry e;
            boolean any = false;
            while ((e = jar.getNextJarEntry()) != null) {
                any = true;
                if (!e.isDirectory() && isClass(e.getName())) {
                    classes.put(e.getName().substring(0, e.getName().length() - 6), jar.readAllBytes());
                }
            }
            if (!any && jar.getManifest() == null) {
                throw new IOException(path + " is not a JAR file");
            }
        }
        return new ClassSet(path, classes, HexFormat.of().formatHex(sha().digest(Files.readAllBytes(path))));
    }

    /** The SHA-256 of a build that is no single file: of its sorted (name, bytes) pairs. */
    static String digest(Map<String, byte[]> classes) {
        MessageDigest md = sha();
        new TreeMap<>(classes).forEach((name, bytes) -> {
            md.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update(bytes);
        });
        return HexFormat.of().formatHex(md.digest());
    }

    private static boolean isClass(String name) {
        return name.endsWith(".class") && !name.endsWith("module-info.class") && !name.startsWith("META-INF/");
    }

    static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
