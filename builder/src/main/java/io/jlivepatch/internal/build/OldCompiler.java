package io.jlivepatch.internal.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JDK that made the old build, where its JAR's manifest says so: class files do not record
 * their compiler, but Maven writes {@code Build-Jdk-Spec} (and once {@code Build-Jdk}) and the
 * {@code jar} tool {@code Created-By: 17.0.9 (Eclipse Adoptium)}. A method compiled by another
 * javac may differ in bytecode from the same source's running method, and the build reports it as
 * changed: worth a note when the two JDKs differ.
 */
final class OldCompiler {

    private static final Pattern VERSION = Pattern.compile("^(\\d+(?:\\.\\d+)*(?:[_+-][\\w.+-]*)?)(?:\\s.*)?$");

    private OldCompiler() {
    }

    /** A note when the old build's manifest names a JDK other than {@code running}, else empty. */
    static Optional<String> note(Path oldBuild, String running) {
        Optional<Recorded> recorded = recorded(oldBuild);
        try {
            if (recorded.isEmpty() || recorded.get().sameAs(running)) {
                return Optional.empty();
            }
        } catch (RuntimeException unparsable) { // a Build-Jdk-Spec that is no number: nothing to say
            return Optional.empty();
        }
        Recorded r = recorded.get();
        return Optional.of("the old build was made by JDK " + r.version() + " (its manifest's " + r.attribute()
                + ") and the sources compiled by " + running + ": a changed function may differ only because the"
                + " compilers differ; check each one against your change, or build with JDK " + r.version());
    }

    /** What the manifest says: a full version ({@code Build-Jdk}, {@code Created-By}) or a feature release. */
    record Recorded(String attribute, String version) {
        boolean sameAs(String running) {
            if (attribute.equals("Build-Jdk-Spec")) {
                return Runtime.Version.parse(running).feature() == feature(version);
            }
            return version.equals(running);
        }

        private static int feature(String v) {
            // "1.8" is Java 8
            String[] parts = v.split("\\.");
            return Integer.parseInt(parts[0].equals("1") && parts.length > 1 ? parts[1] : parts[0]);
        }
    }

    static Optional<Recorded> recorded(Path oldBuild) {
        if (!Files.isRegularFile(oldBuild)) {
            return Optional.empty();
        }
        try (JarFile jar = new JarFile(oldBuild.toFile(), false)) {
            Manifest m = jar.getManifest();
            if (m == null) {
                return Optional.empty();
            }
            Attributes a = m.getMainAttributes();
            for (String attribute : new String[] {"Build-Jdk", "Created-By", "Build-Jdk-Spec"}) {
                String v = a.getValue(attribute);
                Matcher match = v == null ? null : VERSION.matcher(v.trim());
                if (match != null && match.matches()) {
                    return Optional.of(new Recorded(attribute, match.group(1)));
                }
            }
        } catch (IOException | RuntimeException e) {
            // no readable manifest: nothing to say
        }
        return Optional.empty();
    }
}
