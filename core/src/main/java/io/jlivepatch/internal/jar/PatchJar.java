package io.jlivepatch.internal.jar;

import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.Text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.jar.Attributes;
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
 *                    ({@code ClassDigest.of})
 * @param oldFileDigests target class to the SHA-256 of its class file in that build, if recorded
 *                    ({@code ClassDigest.ofFile}; JARs built before it was recorded have none)
 * @param holds       {@code Livepatch-Hold}: methods held, not replaced, as {@code class.method(descriptor)}
 * @param classes     internal class name to class file, for every class in the JAR
 * @param resources   other entries, by path
 * @param states      {@code Livepatch-States}: the system states the patch sets up or takes over,
 *                    {@code id:version} space-separated ({@code 1:2 7:1}), in that order
 * @param replace     {@code Livepatch-Replace: true}: a cumulative patch (atomic replace)
 */
public record PatchJar(String source, String name, String description, List<String> patchClasses,
                       Map<String, String> nestmates, List<String> newClasses, Map<String, String> oldDigests,
                       Map<String, String> oldFileDigests, Map<String, byte[]> classes, Map<String, byte[]> resources,
                       List<String> holds, Map<String, String> builds, List<Patch.State> states, boolean replace) {

    public static final String NAME = "Livepatch-Name";
    public static final String DESCRIPTION = "Livepatch-Description";
    public static final String CLASS = "Livepatch-Class";
    public static final String NESTMATES = "Livepatch-Nestmates";
    public static final String NEW_CLASSES = "Livepatch-New-Classes";
    public static final String HOLD = "Livepatch-Hold";
    public static final String STATES = "Livepatch-States";
    public static final String REPLACE = "Livepatch-Replace";
    public static final String OLD_BUILD = "Livepatch-Old-Build-SHA256";
    public static final String NEW_BUILD = "Livepatch-New-Build-SHA256";
    public static final String OLD_CLASSES = "META-INF/jlivepatch/old-classes.properties";
    public static final String OLD_CLASS_FILES = "META-INF/jlivepatch/old-class-files.properties";

    /** The longest name {@link Patch#isValidName} accepts; checked first, so a long name is never quoted. */
    static final int MAX_NAME_CHARS = 64;

    public PatchJar {
        patchClasses = List.copyOf(patchClasses);
        nestmates = Map.copyOf(nestmates);
        newClasses = List.copyOf(newClasses);
        oldDigests = Map.copyOf(oldDigests);
        oldFileDigests = Map.copyOf(oldFileDigests);
        classes = Map.copyOf(classes);
        resources = Map.copyOf(resources);
        holds = List.copyOf(holds);
        // in its names' order, the same in every JVM (Map.copyOf's order changes from one run to the next), as
        // inspect prints it and status does
        builds = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(builds));
        states = List.copyOf(states);
    }

    /** Reads a patch JAR under the {@linkplain JarLimits#current() current limits}. */
    public static PatchJar read(Path path) throws PatchException {
        return read(path, JarLimits.current());
    }

    /**
     * Reads a patch JAR under {@code limits}. Every way the file can be wrong, however it fails
     * the parsers, is an {@code INVALID_PATCH} refusal that names the file and what was wrong; so is
     * running out of memory while reading it, which leaves the application running.
     */
    public static PatchJar read(Path path, JarLimits limits) throws PatchException {
        return read(PatchJarBytes.read(path, limits), limits);
    }

    /** Takes apart a patch JAR's content under {@code limits}; as {@link #read(Path, JarLimits)}. */
    public static PatchJar read(PatchJarBytes bytes, JarLimits limits) throws PatchException {
        String source = bytes.source();
        try {
            return parse(source, BoundedJarReader.read(bytes, limits), limits);
        } catch (IOException | RuntimeException e) {
            // ZipException, and IllegalArgumentException for a malformed entry name
            throw invalid(source, "not a readable JAR file (" + Failures.describe(e) + "): build the patch with"
                    + " 'jar' or Maven", e);
        } catch (OutOfMemoryError e) {
            throw invalid(source, "jlivepatch ran out of memory reading it (the heap is too small for it, or the"
                    + " limits too large for the heap); nothing was loaded and the application runs on: lower the"
                    + " JAR limits (" + JarLimits.MAX_ENTRY_BYTES + ", " + JarLimits.MAX_TOTAL_BYTES + ") or give the"
                    + " JVM more heap");
        }
    }

    private static PatchJar parse(String source, BoundedJarReader.Contents jar, JarLimits limits)
            throws PatchException {
        if (jar.count() == 0) {
            throw invalid(source, "not a JAR file (no entries, no manifest): build the patch with 'jar' or Maven");
        }
        if (jar.manifest() == null) {
            throw invalid(source, "has no META-INF/MANIFEST.MF: a patch JAR's manifest names the patch with "
                    + NAME + ", " + DESCRIPTION + " and " + CLASS);
        }
        Manifest manifest = manifest(source, jar.manifest());
        checkValueLengths(source, manifest, limits);
        Map<String, byte[]> classes = new HashMap<>();
        Map<String, byte[]> resources = new HashMap<>();
        boolean multiRelease = isMultiRelease(jar.manifest(), manifest.getMainAttributes());
        for (Map.Entry<String, byte[]> e : jar.entries().entrySet()) { // no lambda on the first load (issue 10)
            String entry = e.getKey();
            if (multiRelease && entry.startsWith("META-INF/versions/") && !entry.endsWith("/")) {
                // A JVM running the JAR from its class path uses these copies (classes and resources); a
                // patch's loader never does: a reviewer testing the JAR would see other bytes than load.
                throw invalid(source, "is a multi-release JAR (Multi-Release: true) with entry " + quote(entry) + ": a"
                        + " patch uses its root classes and resources on every JDK, while java -cp of the JAR would use"
                        + " that copy; build the patch without Multi-Release and without META-INF/versions/");
            }
            // META-INF/versions/... holds class files too, but no loader of a patch reads them as classes
            if (entry.endsWith(".class") && !entry.endsWith("module-info.class") && !entry.startsWith("META-INF/")) {
                classes.put(entry.substring(0, entry.length() - ".class".length()), e.getValue());
            } else {
                resources.put(entry, e.getValue());
            }
        }
        Attributes main = manifest.getMainAttributes();
        String name = required(main, NAME, source);
        List<String> patchClasses = words(required(main, CLASS, source));
        String description = main.getValue(DESCRIPTION) == null ? "" : main.getValue(DESCRIPTION).trim();
        for (String patchClass : patchClasses) {
            if (!classes.containsKey(patchClass.replace('.', '/'))) {
                throw invalid(source, CLASS + " names " + quote(patchClass) + ", which the JAR does not contain: put"
                        + " that class in the JAR or fix the attribute (a binary name such as com.acme.fix.GreeterFix)");
            }
        }
        Map<String, String> nestmates = new LinkedHashMap<>();
        for (String pair : words(main.getValue(NESTMATES))) {
            int eq = pair.indexOf('=');
            if (eq <= 0 || !classes.containsKey(pair.substring(0, eq).replace('.', '/'))) {
                throw invalid(source, NESTMATES + " entry " + quote(pair) + " is not patchClass=targetClass for a"
                        + " class of the JAR");
            }
            String nestmate = pair.substring(0, eq);
            String host = pair.substring(eq + 1);
            String hostPackage = packageOf(host);
            String nestmatePackage = packageOf(nestmate);
            if (!nestmatePackage.equals(hostPackage)) {
                // The JVM defines a hidden class in its lookup class's package only.
                throw invalid(source, NESTMATES + " entry " + quote(pair) + ": a nestmate is defined in the package of"
                        + " its host, so " + quote(nestmate) + " must be in " + (hostPackage.isEmpty()
                        ? "the unnamed package" : "package " + hostPackage) + ", not " + (nestmatePackage.isEmpty()
                        ? "the unnamed package" : nestmatePackage) + ": rename the class");
            }
            nestmates.put(nestmate, host);
        }
        List<String> newClasses = words(main.getValue(NEW_CLASSES));
        for (String c : newClasses) {
            if (!classes.containsKey(c.replace('.', '/'))) {
                throw invalid(source, NEW_CLASSES + " names " + quote(c) + ", which the JAR does not contain");
            }
        }
        Map<String, String> digests = properties(source, resources, OLD_CLASSES);
        Map<String, String> fileDigests = properties(source, resources, OLD_CLASS_FILES);
        return new PatchJar(source, name, description, patchClasses, nestmates, newClasses, digests, fileDigests,
                classes, resources, words(main.getValue(HOLD)), builds(main), states(source, main.getValue(STATES)),
                replace(source, main.getValue(REPLACE)));
    }

    /**
     * Whether the JDK's {@code JarFile} takes the JAR for a multi-release one ({@code isMultiRelease},
     * JDK 17 to 25, where {@code java -cp} and class loaders use its {@code META-INF/versions/} copies):
     * the manifest's bytes hold {@code Multi-Release: true} (ASCII letters in any case, so not split by
     * a continuation line) and the main section's value is {@code true} in any case as
     * {@code Boolean.parseBoolean} reads it, untrimmed. Trimmed, {@code "true "} or a value continued
     * on the next line was taken for one here, and a JAR the JDK reads as one JAR refused.
     */
    static boolean isMultiRelease(byte[] manifestBytes, Attributes main) {
        return Boolean.parseBoolean(main.getValue("Multi-Release")) && holdsIgnoringCase(manifestBytes,
                "MULTI-RELEASE: TRUE");
    }

    /** Whether {@code bytes} hold {@code upper} (upper-case ASCII), their a to z taken as A to Z. */
    private static boolean holdsIgnoringCase(byte[] bytes, String upper) {
        for (int i = 0; i + upper.length() <= bytes.length; i++) {
            int j = 0;
            while (j < upper.length()) {
                int b = bytes[i + j];
                if ((b >= 'a' && b <= 'z' ? b - ('a' - 'A') : b) != upper.charAt(j)) {
                    break;
                }
                j++;
            }
            if (j == upper.length()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The package of a binary class name, empty for the unnamed package (CarriedClasses.packageOf says
     * null there, which its callers rely on).
     */
    static String packageOf(String binaryName) {
        int dot = binaryName.lastIndexOf('.');
        return dot < 0 ? "" : binaryName.substring(0, dot);
    }

    /**
     * One {@code id:version} of {@value #STATES} as written, its ranges not checked yet: the one
     * reading of that form, for the manifest here and for {@code jlivepatch build --state}.
     */
    public record StatePair(long id, int version) {

        /** The two numbers of {@code id:version}, or {@code null} when the text is not of that form. */
        public static StatePair parse(String text) {
            int colon = text.indexOf(':');
            if (colon <= 0 || colon != text.lastIndexOf(':')) {
                return null;
            }
            try {
                return new StatePair(Long.parseLong(text.substring(0, colon)),
                        Integer.parseInt(text.substring(colon + 1)));
            } catch (NumberFormatException e) {
                return null;
            }
        }

        /** What a refusal adds when {@link #outOfRange} says so. */
        public static final String RANGE = "ids go up to " + Long.MAX_VALUE + ", versions up to " + Integer.MAX_VALUE;

        /**
         * Whether {@code text}, which {@link #parse} does not read, is of the form {@code id:version}
         * with a number too large for its type: a refusal then says so, where "is not id:version"
         * would send its author looking for a typo that is not there.
         */
        public static boolean outOfRange(String text) {
            int colon = text.indexOf(':');
            return colon > 0 && colon == text.lastIndexOf(':') && integer(text.substring(0, colon))
                    && integer(text.substring(colon + 1));
        }

        /** Whether {@code s} is what {@code Long.parseLong} reads but for its range: a sign, then digits. */
        private static boolean integer(String s) {
            int i = s.startsWith("-") || s.startsWith("+") ? 1 : 0;
            if (i == s.length()) {
                return false;
            }
            for (; i < s.length(); i++) {
                if (Character.digit(s.charAt(i), 10) < 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /** {@code Livepatch-States}: {@code id:version} pairs, each id once, ids from 0, versions from 1. */
    private static List<Patch.State> states(String source, String value) throws PatchException {
        List<Patch.State> states = new ArrayList<>();
        java.util.Set<Long> ids = new java.util.HashSet<>();
        for (String pair : words(value)) {
            StatePair p = StatePair.parse(pair);
            if (p == null) {
                throw invalid(source, STATES + " entry " + quote(pair) + (StatePair.outOfRange(pair)
                        ? " has a number out of range (" + StatePair.RANGE + ")" : " is not id:version")
                        + ": write the states the patch sets up as space-separated pairs of numbers, e.g. '"
                        + STATES + ": 1:2 7:1'");
            }
            long id = p.id();
            int version = p.version();
            if (id < 0 || version < 1) {
                throw invalid(source, STATES + " entry " + quote(pair) + " has " + (id < 0 ? "a negative id: ids"
                        + " are 0 or more" : "version " + version + ": versions start at 1"));
            }
            if (!ids.add(id)) {
                throw invalid(source, STATES + " names state " + id + " twice: give each state id one version");
            }
            states.add(new Patch.State(id, version));
        }
        return states;
    }

    /** {@code Livepatch-Replace}: {@code true} or {@code false} (any case), absent for false. */
    private static boolean replace(String source, String value) throws PatchException {
        if (value == null || value.isBlank()) {
            return false;
        }
        String v = value.trim();
        if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
            throw invalid(source, REPLACE + " is " + quote(v) + ": write 'true' for a cumulative patch (atomic"
                    + " replace) or 'false', or leave it out");
        }
        return v.equalsIgnoreCase("true");
    }

    private static Map<String, String> builds(Attributes main) {
        Map<String, String> builds = new LinkedHashMap<>();
        for (String attribute : new String[] {OLD_BUILD, NEW_BUILD}) {
            String v = main.getValue(attribute);
            if (v != null && !v.isBlank()) {
                builds.put(attribute, v.trim());
            }
        }
        return builds;
    }

    /** A properties file {@code jlivepatch build} writes, empty when absent. */
    private static Map<String, String> properties(String source, Map<String, byte[]> resources, String path)
            throws PatchException {
        Map<String, String> values = new LinkedHashMap<>();
        byte[] file = resources.get(path);
        if (file != null) {
            Properties p = new Properties();
            try {
                p.load(new java.io.ByteArrayInputStream(file));
            } catch (IOException | IllegalArgumentException e) {
                // IllegalArgumentException: a malformed unicode escape
                throw invalid(source, path + " cannot be read (" + Failures.describe(e) + "): it is written"
                        + " by 'jlivepatch build'; build the patch again");
            }
            for (Map.Entry<Object, Object> e : p.entrySet()) {
                values.put((String) e.getKey(), (String) e.getValue()); // load() makes strings only
            }
        }
        return values;
    }

    private static Manifest manifest(String source, byte[] bytes) throws PatchException {
        checkLines(source, bytes);
        try {
            return new Manifest(new java.io.ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            // IllegalArgumentException: an attribute name that is not one
            throw invalid(source, "its META-INF/MANIFEST.MF cannot be parsed (" + Failures.describe(e) + "):"
                    + " write it with 'jar' or Maven");
        }
    }

    /**
     * Refuses what {@link Manifest} would read silently otherwise: a last line without a line break,
     * which it drops (a Livepatch-Replace or Livepatch-Holds there would vanish), and a name given
     * twice in the main section, of which it keeps the last (what a reviewer reads first is not what
     * loads).
     */
    private static void checkLines(String source, byte[] bytes) throws PatchException {
        String text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        if (!text.isEmpty() && !text.endsWith("\n") && !text.endsWith("\r")) {
            String last = text.substring(Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r')) + 1);
            throw invalid(source, "its META-INF/MANIFEST.MF does not end with a line break, so its last line, "
                    + quote(last.length() > 80 ? last.substring(0, 80) + "..." : last) + ", would be dropped: end"
                    + " the file with a newline (the 'jar' tool and Maven do)");
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        for (String line : mainSectionLines(text)) {
            int colon = line.indexOf(':');
            if (line.startsWith(" ") || colon <= 0) {
                continue; // a continuation, or what the parser refuses below
            }
            String name = line.substring(0, colon);
            if (!names.add(name.toLowerCase(java.util.Locale.ROOT))) {
                throw invalid(source, "its META-INF/MANIFEST.MF gives " + quote(name) + " twice in its main"
                        + " section, and only the last would count: keep one");
            }
        }
    }

    /**
     * Refuses manifest values longer than their limit before any of them is used or quoted: a name
     * or description ends up in messages, the log and the audit log.
     */
    private static void checkValueLengths(String source, Manifest manifest, JarLimits limits) throws PatchException {
        String name = manifest.getMainAttributes().getValue(NAME);
        if (name != null && name.trim().length() > MAX_NAME_CHARS) {
            throw invalid(source, NAME + " has " + name.trim().length() + " characters, over the limit of "
                    + MAX_NAME_CHARS + ": name the patch with 1 to " + MAX_NAME_CHARS
                    + " characters from [A-Za-z0-9_.-]");
        }
        String description = manifest.getMainAttributes().getValue(DESCRIPTION);
        if (description != null && description.trim().length() > limits.maxDescriptionChars()) {
            throw limits.exceeded(source, JarLimits.MAX_DESCRIPTION_CHARS, DESCRIPTION + " has "
                    + description.trim().length() + " characters");
        }
        List<Attributes> sections = new ArrayList<>();
        sections.add(manifest.getMainAttributes());
        sections.addAll(manifest.getEntries().values());
        for (Attributes attributes : sections) {
            for (Map.Entry<Object, Object> a : attributes.entrySet()) {
                String key = a.getKey().toString();
                String value = String.valueOf(a.getValue());
                if (!key.equalsIgnoreCase(DESCRIPTION) && value.length() > limits.maxValueChars()) {
                    throw limits.exceeded(source, JarLimits.MAX_VALUE_CHARS, "manifest attribute " + quote(key)
                            + " has " + value.length() + " characters");
                }
            }
        }
    }

    /**
     * A value from the JAR as messages quote it: in quotes, cut short when long, its line breaks and
     * other controls escaped ({@link Text#clean}). A class file's own name is any bytes (a this_class
     * that points at another Utf8 of the pool): quoted raw, it made a refusal of several lines.
     */
    static String quote(String value) {
        int max = 120;
        if (value.length() <= max) {
            return "'" + Text.clean(value) + "'";
        }
        // cut before cleaning: no escape is cut in half
        return "'" + Text.clean(value.substring(0, max)) + "...' (" + value.length() + " characters)";
    }

    /**
     * The lines of a manifest's text up to its first empty line (the end of the main section), split
     * at {@code \r\n}, {@code \r} or {@code \n}. By hand, not by a regular expression: see {@link #words}.
     */
    static List<String> mainSectionLines(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int end = start;
            while (end < text.length() && text.charAt(end) != '\n' && text.charAt(end) != '\r') {
                end++;
            }
            if (end == start) {
                break;
            }
            out.add(text.substring(start, end));
            start = end + (text.startsWith("\r\n", end) ? 2 : 1);
        }
        return out;
    }

    /**
     * The words of {@code value}, trimmed, split at runs of white space ({@code \s}: space, tab, line
     * feed, vertical tab, form feed, carriage return) and commas. Split by hand: a regular expression,
     * compiled and run in a JVM that has run none, loads and spins dozens of classes that every
     * start-up patch paid (BENCHMARKS.md, section 4).
     */
    static List<String> words(String value) {
        List<String> out = new ArrayList<>();
        if (value != null) {
            String v = value.trim();
            int start = 0;
            for (int i = 0; i <= v.length(); i++) {
                if (i == v.length() || isSeparator(v.charAt(i))) {
                    if (i > start) {
                        out.add(v.substring(start, i));
                    }
                    start = i + 1;
                }
            }
        }
        return out;
    }

    /**
     * Whether {@link #words} splits a class list at {@code c}: the builder refuses a class name holding
     * one (and only those: a space beyond ASCII is part of a name), so the two agree.
     */
    public static boolean isSeparator(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r' || c == ',';
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

    /**
     * {@code patch JAR <source>}, as every message about a JAR begins: its path or the name its sender
     * gave is anyone's text (a file name in a watched directory, a JMX or control socket argument),
     * escaped as {@link #quote} escapes the JAR's own values, so that the message stays one line.
     */
    public static String about(String source) {
        return "patch JAR " + Text.clean(source);
    }

    static PatchException invalid(String source, String why) {
        return invalid(source, why, null);
    }

    static PatchException invalid(String source, String why, Throwable cause) {
        return new PatchException(Reason.INVALID_PATCH, null, PatchJar.about(source) + ": " + why, cause);
    }
}
