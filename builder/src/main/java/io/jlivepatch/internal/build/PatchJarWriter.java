package io.jlivepatch.internal.build;

import io.jlivepatch.Patch;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.format.ClassDigest;
import io.jlivepatch.internal.jar.PatchJar;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Writes a generated patch JAR: the patch JAR format, plus what {@code jlivepatch build} records
 * about where the patch came from and how its classes are defined.
 *
 * <pre>
 * Livepatch-Name / Livepatch-Description
 * Livepatch-Class: com.acme.Files$$Livepatch ...          the classes holding @Replaces methods
 * Livepatch-Nestmates: com.acme.Files$$Livepatch=com.acme.Files ...   defined as hidden nestmates of
 * Livepatch-New-Classes: com.acme.Sanitizer ...           defined in the target's class loader, with the
 *                                                          holders of added fields (com.acme.Account$$Shadow$audits)
 * Livepatch-Hold: com.acme.Worker.process(Ljava/lang/String;)V ...   held, not replaced (--hold)
 * Livepatch-Replace: true / Livepatch-States: 1:2 7:1   cumulative, its states (--replace, --state)
 * Livepatch-Old-Build-SHA256 / Livepatch-New-Build-SHA256 the two inputs
 * META-INF/jlivepatch/old-classes.properties             class = digest of its old build (ClassDigest.of)
 * META-INF/jlivepatch/old-class-files.properties         class = SHA-256 of its old class file (ClassDigest.ofFile)
 * </pre>
 *
 * <p>Every name is core's ({@link PatchJar}'s constants) and every digest core's ({@link ClassDigest}):
 * the loader that reads and checks these JARs is in core, and the format has that one definition.
 */
final class PatchJarWriter {

    private PatchJarWriter() {
    }

    static void write(Path out, String name, String description, ClassSet oldBuild, ClassSet newBuild,
                      BuildDiff.Result diff, List<Patch.Hold> holds, boolean replace, List<Patch.State> states)
            throws IOException {
        Map<String, byte[]> entries = new TreeMap<>();
        List<String> patchClasses = new ArrayList<>();
        List<String> nestmates = new ArrayList<>();
        StringBuilder digests = new StringBuilder("# the classes this patch was built against, as jlivepatch build saw them\n");
        StringBuilder fileDigests = new StringBuilder("# the SHA-256 of the class files this patch was built against\n");
        ShadowFields shadows = new ShadowFields(diff.fields(), newBuild);
        for (BuildDiff.ClassChange c : diff.changes()) {
            String host = c.name();
            String carrier = host + NestmateWriter.SUFFIX;
            entries.put(carrier + ".class", NestmateWriter.write(c, newBuild.classes().get(host), new Inheritance(newBuild, host),
                    shadows));
            patchClasses.add(BuildDiff.dotted(carrier));
            nestmates.add(BuildDiff.dotted(carrier) + "=" + BuildDiff.dotted(host));
            digests.append(propertyKey(BuildDiff.dotted(host))).append('=')
                    .append(ClassDigest.of(oldBuild.classes().get(host))).append('\n');
            fileDigests.append(propertyKey(BuildDiff.dotted(host))).append('=')
                    .append(ClassDigest.ofFile(oldBuild.classes().get(host))).append('\n');
        }
        List<String> newClasses = new ArrayList<>();
        for (String nc : diff.newClasses()) {
            entries.put(nc + ".class", shadows.rewriteClass(newBuild.classes().get(nc)));
            newClasses.add(BuildDiff.dotted(nc));
        }
        for (AddedField f : diff.fields()) {
            // the holders of the added fields' shadow variables: carried into their classes' packages
            entries.put(f.boxName() + ".class", ShadowBoxWriter.write(f));
            newClasses.add(BuildDiff.dotted(f.boxName()));
        }
        entries.put(PatchJar.OLD_CLASSES, digests.toString().getBytes(StandardCharsets.ISO_8859_1));
        entries.put(PatchJar.OLD_CLASS_FILES, fileDigests.toString().getBytes(StandardCharsets.ISO_8859_1));

        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(PatchJar.NAME, name);
        a.putValue(PatchJar.DESCRIPTION, description);
        a.putValue(PatchJar.CLASS, String.join(" ", patchClasses));
        a.putValue(PatchJar.NESTMATES, String.join(" ", nestmates));
        if (!newClasses.isEmpty()) {
            a.putValue(PatchJar.NEW_CLASSES, String.join(" ", newClasses));
        }
        if (!holds.isEmpty()) {
            a.putValue(PatchJar.HOLD, String.join(" ", holds.stream().map(Patch.Hold::target).toList()));
        }
        if (replace) {
            a.putValue(PatchJar.REPLACE, "true");
        }
        if (!states.isEmpty()) {
            a.putValue(PatchJar.STATES, String.join(" ", states.stream().map(st -> st.id() + ":" + st.version()).toList()));
        }
        a.putValue(PatchJar.OLD_BUILD, oldBuild.sha256());
        a.putValue(PatchJar.NEW_BUILD, newBuild.sha256());
        a.putValue("Created-By", "jlivepatch build");

        // Written beside the target and moved into place: a refused or failed build leaves no file.
        // Not Files.createTempFile, whose 0600 mode would stay with the patch.
        Path dir = out.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + out.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
        try {
            try (OutputStream os = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW);
                 JarOutputStream jar = new JarOutputStream(os)) {
                // The manifest as an entry of its own, so that it too carries the fixed time:
                // the same inputs give the same JAR, byte for byte.
                JarEntry mf = new JarEntry(JarFile.MANIFEST_NAME);
                mf.setTime(0);
                jar.putNextEntry(mf);
                m.write(jar);
                jar.closeEntry();
                for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                    JarEntry je = new JarEntry(e.getKey());
                    je.setTime(0);
                    jar.putNextEntry(je);
                    jar.write(e.getValue());
                    jar.closeEntry();
                }
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A class name as a key of a properties file, which core reads with {@code Properties.load} (ISO
     * 8859-1): escaped as {@code Properties.store} escapes keys, so that a name with a character
     * beyond Latin-1 (a Java identifier may be Greek, {@code com.acme.Σ}), or with a {@code :},
     * {@code #}, {@code !} or backslash (legal in a JVM class name), reads back as itself. Written
     * raw before, such a key read back as another name (or {@code ?}), and the class's digest was
     * never found.
     */
    static String propertyKey(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '\\' || c == ':' || c == '=' || c == '#' || c == '!' || c == ' ') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7E) {
                Text.appendUnicodeEscape(sb, c);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

}
