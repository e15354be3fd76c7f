package io.jlivepatch.internal.build;

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
 * The class files of one build: a JAR or a directory of classes.
 *
 * @param source  the path it was read from
 * @param classes internal name to class file, sorted
 * @param sha256  of the JAR file, or of the sorted (name, bytes) pairs of a directory
 */
record ClassSet(Path source, Map<String, byte[]> classes, String sha256) {

    static ClassSet read(Path path) throws IOException {
        try {
            return readUnchecked(path);
        } catch (IOException e) {
            throw new IOException("cannot read the build " + path + ": " + e.getMessage(), e);
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
            MessageDigest md = sha();
            classes.forEach((name, bytes) -> {
                md.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update(bytes);
            });
            return new ClassSet(path, classes, HexFormat.of().formatHex(md.digest()));
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
