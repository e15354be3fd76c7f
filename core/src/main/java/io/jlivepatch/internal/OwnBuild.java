package io.jlivepatch.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Refuses to run classes of jlivepatch that are not those of the JAR they say they come from.
 *
 * <p>A class-data archive (a JDK 25 AOT cache, a CDS archive) holds classes as they were when it
 * was recorded, and the JVM serves them from it instead of reading the JAR. It is meant to reject
 * the archive when a JAR on the class path changed; JDK 25 up to 25.0.3 does not (JDK-8377932), so
 * after jlivepatch's JAR is replaced by another build, the old build's classes would run, next to
 * the new build's bootstrap classes, which are always read from the JAR. Each build compiles its
 * stamp into {@link BuildStamp} and writes it beside its classes as {@value #RESOURCE}; a resource
 * is always read from the JAR, so the two differ exactly when the classes are not the JAR's.
 * (Against someone who can write the archive this proves nothing: the archive is code, to be kept
 * like the JARs.)
 */
public final class OwnBuild {

    static final String RESOURCE = "META-INF/jlivepatch/build-stamp";

    private OwnBuild() {
    }

    /** This build's stamp, as compiled in. */
    public static String stamp() {
        return BuildStamp.VALUE;
    }

    /**
     * Checks jlivepatch's running classes against the JAR or directory they come from.
     *
     * @throws IllegalStateException when they are another build's: the message says what to do
     */
    public static void check() {
        java.security.CodeSource source = OwnBuild.class.getProtectionDomain().getCodeSource();
        check(source == null ? null : source.getLocation(), BuildStamp.VALUE);
    }

    static void check(URL location, String compiled) {
        String beside = stampAt(location);
        if (beside != null && !beside.equals(compiled)) {
            throw new IllegalStateException("jlivepatch's classes in this JVM are not those of " + location
                    + " (they are build " + compiled + ", the JAR holds build " + beside + "): they come from a"
                    + " class-data archive recorded with another build of jlivepatch, such as an AOT cache"
                    + " (-XX:AOTCache) made before the JAR was replaced, which this JDK does not notice. Record the"
                    + " archive again with this JAR, or start without it");
        }
    }

    /**
     * The stamp written beside the classes at {@code location}, or {@code null} when there is none to
     * compare with (classes of unknown origin, a build without the resource, an unreadable one).
     */
    static String stampAt(URL location) {
        if (location == null || !"file".equals(location.getProtocol())) {
            return null;
        }
        try {
            Path p = Path.of(location.toURI());
            if (Files.isDirectory(p)) {
                Path r = p.resolve(RESOURCE);
                return Files.isRegularFile(r) ? firstLine(Files.readAllBytes(r)) : null;
            }
            // The JAR the class loader has open already: opening it again shares its zip.
            try (JarFile jar = new JarFile(p.toFile(), false)) {
                JarEntry e = jar.getJarEntry(RESOURCE);
                if (e == null) {
                    return null;
                }
                try (InputStream in = jar.getInputStream(e)) {
                    return firstLine(in.readNBytes(256));
                }
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return null; // no evidence either way: the archive's own checks are all there is
        }
    }

    private static String firstLine(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
