package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

/**
 * A patch JAR read into memory (the kernel's patch module): its manifest attributes and its class
 * files. Reading it whole means the file may change or vanish afterwards without effect.
 *
 * <pre>
 * Livepatch-Name: fix-traversal
 * Livepatch-Description: resolve() refuses paths outside the base directory
 * Livepatch-Class: com.acme.files.fix.ResolveFix
 * </pre>
 *
 * @param source      where it was read from, for messages
 * @param name        {@code Livepatch-Name}
 * @param description {@code Livepatch-Description}, empty when absent
 * @param patchClasses {@code Livepatch-Class}: binary names of the classes holding the replacements
 *                     (one for a hand-written patch; {@code jlivepatch build} writes one per patched class)
 * @param nestmates   {@code Livepatch-Nestmates}: patch class to the target class it is defined as a
 *                    hidden nestmate of, for private access (written by {@code jlivepatch build})
 * @param newClasses  {@code Livepatch-New-Classes}: classes to define in the target's class loader
 * @param oldDigests  target class to the digest of the build the patch was made from, if recorded
 * @param holds       {@code Livepatch-Hold}: methods held, not replaced, as {@code class.method(descriptor)}
 * @param classes     internal class name to class file, for every class in the JAR
 * @param resources   other entries, by path
 */
public record PatchJar(String source, String name, String description, List<String> patchClasses,
                       Map<String, String> nestmates, List<String> newClasses, Map<String, String> oldDigests,
                       Map<String, byte[]> classes, Map<String, byte[]> resources, List<String> holds) {

    public static final String NAME = "Livepatch-Name";
    public static final String DESCRIPTION = "Livepatch-Description";
    public static final String CLASS = "Livepatch-Class";
    public static final String NESTMATES = "Livepatch-Nestmates";
    public static final String NEW_CLASSES = "Livepatch-New-Classes";
    public static final String HOLD = "Livepatch-Hold";
    public static final String OLD_CLASSES = "META-INF/jlivepatch/old-classes.properties";

    public PatchJar {
        patchClasses = List.copyOf(patchClasses);
        nestmates = Map.copyOf(nestmates);
        newClasses = List.copyOf(newClasses);
        oldDigests = Map.copyOf(oldDigests);
        classes = Map.copyOf(classes);
        resources = Map.copyOf(resources);
        holds = List.copyOf(holds);
    }

    public static PatchJar read(Path path) throws PatchException {
        String source = path.toString();
        if (!Files.isRegularFile(path)) {
            throw invalid(source, "no such file: give the path of a patch JAR");
        }
        Map<String, byte[]> classes = new HashMap<>();
        Map<String, byte[]> resources = new HashMap<>();
        Manifest manifest;
        try (InputStream in = Files.newInputStream(path); JarInputStream jar = new JarInputStream(in)) {
            manifest = jar.getManifest();
            JarEntry e;
            boolean any = false;
            while ((e = jar.getNextJarEntry()) != null) {
                any = true;
                if (e.isDirectory()) {
                    continue;
                }
                byte[] bytes = jar.readAllBytes();
                if (e.getName().endsWith(".class") && !e.getName().endsWith("module-info.class")) {
                    classes.put(e.getName().substring(0, e.getName().length() - ".class".length()), bytes);
                } else {
                    resources.put(e.getName(), bytes);
                }
            }
            if (!any && manifest == null) {
                throw invalid(source, "not a JAR file (no entries, no manifest): build the patch with 'jar' or Maven");
            }
        } catch (IOException e) {
            throw invalid(source, "not a readable JAR file (" + e.getMessage() + "): build the patch with 'jar' or Maven");
        }
        if (manifest == null) {
            throw invalid(source, "has no META-INF/MANIFEST.MF: a patch JAR's manifest names the patch with "
                    + NAME + ", " + DESCRIPTION + " and " + CLASS);
        }
        Attributes main = manifest.getMainAttributes();
        String name = required(main, NAME, source);
        List<String> patchClasses = words(required(main, CLASS, source));
        String description = main.getValue(DESCRIPTION) == null ? "" : main.getValue(DESCRIPTION).trim();
        for (String patchClass : patchClasses) {
            if (!classes.containsKey(patchClass.replace('.', '/'))) {
                throw invalid(source, CLASS + " names " + patchClass + ", which the JAR does not contain: put that class"
                        + " in the JAR or fix the attribute (a binary name such as com.acme.fix.GreeterFix)");
            }
        }
        Map<String, String> nestmates = new LinkedHashMap<>();
        for (String pair : words(main.getValue(NESTMATES))) {
            int eq = pair.indexOf('=');
            if (eq <= 0 || !classes.containsKey(pair.substring(0, eq).replace('.', '/'))) {
                throw invalid(source, NESTMATES + " entry '" + pair + "' is not patchClass=targetClass for a class of"
                        + " the JAR");
            }
            nestmates.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        List<String> newClasses = words(main.getValue(NEW_CLASSES));
        for (String c : newClasses) {
            if (!classes.containsKey(c.replace('.', '/'))) {
                throw invalid(source, NEW_CLASSES + " names " + c + ", which the JAR does not contain");
            }
        }
        Map<String, String> digests = new LinkedHashMap<>();
        byte[] digestFile = resources.get(OLD_CLASSES);
        if (digestFile != null) {
            Properties p = new Properties();
            try {
                p.load(new java.io.ByteArrayInputStream(digestFile));
            } catch (IOException e) {
                throw invalid(source, OLD_CLASSES + " cannot be read: " + e.getMessage());
            }
            p.forEach((k, v) -> digests.put((String) k, (String) v));
        }
        return new PatchJar(source, name, description, patchClasses, nestmates, newClasses, digests, classes, resources,
                words(main.getValue(HOLD)));
    }

    private static List<String> words(String value) {
        List<String> out = new ArrayList<>();
        if (value != null) {
            for (String w : value.trim().split("[\\s,]+")) {
                if (!w.isEmpty()) {
                    out.add(w);
                }
            }
        }
        return out;
    }

    private static String required(Attributes main, String attribute, String source) throws PatchException {
        String v = main.getValue(attribute);
        if (v == null || v.isBlank()) {
            List<String> missing = new ArrayList<>();
            for (String a : List.of(NAME, CLASS)) {
                if (main.getValue(a) == null || main.getValue(a).isBlank()) {
                    missing.add(a);
                }
            }
            throw invalid(source, "its manifest lacks " + String.join(" and ", missing)
                    + ": a patch JAR names its patch with " + NAME + " and its replacements' class with " + CLASS);
        }
        return v.trim();
    }

    static PatchException invalid(String source, String why) {
        return new PatchException(Reason.INVALID_PATCH, null, "patch JAR " + source + ": " + why);
    }
}
