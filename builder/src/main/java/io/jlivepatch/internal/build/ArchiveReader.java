package io.jlivepatch.internal.build;

import io.jlivepatch.internal.Text;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * Reads every class file of one build, whatever its {@link Layout}: each under the binary name the
 * running JVM gives it, with the entry it came from ({@code BOOT-INF/lib/spring-core.jar}). An
 * entry that cannot be read (a corrupt nested JAR, a truncated class file) refuses the build here,
 * naming the archive and the entry: every later step may then parse any class it is given.
 */
final class ArchiveReader {

    /** The classes read, in class path order of their containers; what {@link ClassSet#of} resolves. */
    record Read(Path source, Layout layout, List<ClassSet.Copy> copies, int libraries, int launcherClasses,
                String sha256, Map<String, byte[]> versioned) {
    }

    /** A multi-release JAR's class for a later Java: {@code META-INF/versions/<n>/<class path>}. */
    static final java.util.regex.Pattern VERSIONED = java.util.regex.Pattern.compile("META-INF/versions/(\\d+)/(.+\\.class)");

    private final Path source;
    private final Layout layout;
    private final List<ClassSet.Copy> application = new ArrayList<>();
    /** Library copies by nested JAR, read in sorted order: every build is read the same way. */
    private final Map<String, List<ClassSet.Copy>> libraries = new TreeMap<>();
    private int launcherClasses;
    /** The versioned classes of multi-release JARs, by entry ({@code x.jar!/META-INF/versions/11/a/B.class}). */
    private final Map<String, byte[]> versioned = new TreeMap<>();

    /** A directory build's files by name (DirectoryFiles.list); null for a JAR. */
    private Map<String, Path> files;

    private ArchiveReader(Path source, Layout layout) {
        this.source = source;
        this.layout = layout;
    }

    static Read read(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return readDirectory(path);
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException(Text.clean(path.toString()) + " is neither a JAR nor a directory of classes");
        }
        // Digested before the entries are read and confirmed after: the digest the patch records is
        // of the bytes whose classes it compares and carries, or the build is refused.
        try (DigestedFile digested = DigestedFile.open(path, "the build")) {
            Read read = readJar(path, digested.sha256());
            digested.confirm();
            return read;
        }
    }

    private static Read readJar(Path path, String sha256) throws IOException {
        // ZipFile, not JarInputStream: it finds the entries from the central directory, so a
        // Spring Boot JAR with a launch script in front is read too.
        ZipFile zip;
        try {
            zip = new ZipFile(path.toFile());
        } catch (ZipException e) {
            throw new IOException(Text.clean(path.toString()) + " is not a JAR file (" + Damage.ofZip(e) + ")", e);
        } catch (IOException e) {
            throw DirectoryFiles.cannotRead(path, e, "the build");
        }
        try (zip) {
            List<String> names = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                if (!e.isDirectory()) {
                    names.add(e.getName());
                }
            }
            ArchiveReader r = new ArchiveReader(path, Layout.of(names));
            boolean multiRelease = r.layout == Layout.PLAIN && multiRelease(zip);
            for (String name : names) {
                ZipEntry e = zip.getEntry(name);
                r.add(name, () -> zip.getInputStream(e));
                if (multiRelease && VERSIONED.matcher(name).matches()) {
                    r.versioned.put(name, r.read(name, () -> zip.getInputStream(e), MAX_CLASS_BYTES));
                }
            }
            return r.result(sha256);
        }
    }

    private static Read readDirectory(Path dir) throws IOException {
        DirectoryFiles.Listing listing = DirectoryFiles.list(dir, "the build");
        Set<String> names = new TreeSet<>(listing.files().keySet());
        names.addAll(listing.irregular().keySet());
        Layout layout = Layout.of(names);
        ArchiveReader r = new ArchiveReader(dir, layout);
        r.files = listing.files(n -> layout.role(n) != Layout.Role.OTHER);
        for (Map.Entry<String, Path> f : r.files.entrySet()) {
            r.add(f.getKey(), () -> DirectoryFiles.open(f.getValue(), "the build"));
        }
        return r.result(null);
    }

    private interface Bytes {
        InputStream open() throws IOException;
    }

    /**
     * The most a class file may take, uncompressed: no class javac or a generator writes comes near
     * it, and a few kilobytes of deflated zeros (a zip bomb) declaring a class would otherwise fill
     * the heap before anything could be said about the entry.
     */
    static final int MAX_CLASS_BYTES = 64 << 20;
    /** The most a nested JAR may take, uncompressed: it is read into one array. */
    static final int MAX_NESTED_JAR_BYTES = 1 << 30;

    private void add(String entry, Bytes bytes) throws IOException {
        switch (layout.role(entry)) {
            case APPLICATION -> {
                ClassSet.Copy c = copy(layout.classes.isEmpty() ? "" : layout.classes.substring(0,
                        layout.classes.length() - 1), entry.substring(layout.classes.length()), read(entry, bytes,
                        MAX_CLASS_BYTES));
                if (c != null) { // null: the file of a class at its own name, seen again through a link
                    application.add(c);
                }
            }
            case LIBRARY -> libraries.put(entry, library(entry, read(entry, bytes, MAX_NESTED_JAR_BYTES)));
            case LAUNCHER -> launcherClasses++;
            case OTHER -> {
            }
        }
    }

    /** Whether the JVM reads the JAR's {@code META-INF/versions}: only when its manifest says so. */
    private static boolean multiRelease(ZipFile zip) throws IOException {
        ZipEntry mf = zip.getEntry(java.util.jar.JarFile.MANIFEST_NAME);
        if (mf == null) {
            return false;
        }
        try (InputStream in = zip.getInputStream(mf)) {
            return multiRelease(in);
        }
    }

    private static boolean multiRelease(InputStream manifest) {
        try {
            return "true".equalsIgnoreCase(new java.util.jar.Manifest(manifest).getMainAttributes()
                    .getValue("Multi-Release"));
        } catch (IOException unreadable) {
            return false; // the JVM would not read it either
        }
    }

    private byte[] read(String entry, Bytes bytes, int max) throws IOException {
        byte[] read;
        try (InputStream in = bytes.open()) {
            read = atMost(in, max);
        } catch (DirectoryFiles.Unreadable e) {
            throw e; // a file of a directory that cannot be opened: named, and not as damage
        } catch (IOException | RuntimeException e) {
            throw unreadable(entry, "cannot be read (" + Damage.ofZip(e) + ")", e);
        }
        if (read == null) {
            throw tooLarge(entry, max);
        }
        return read;
    }

    /** All of {@code in}, or null when it holds more than {@code max} bytes (never more is read). */
    private static byte[] atMost(InputStream in, int max) throws IOException {
        byte[] read = in.readNBytes(max);
        return in.read() < 0 ? read : null;
    }

    private IOException tooLarge(String entry, int max) {
        return unreadable(entry, "is larger than " + (max >> 20) + " MiB uncompressed, more than any "
                + (max == MAX_CLASS_BYTES ? "class file" : "JAR of classes") + " (a zip bomb?)", null);
    }

    /** The classes of a nested JAR, which Spring Boot stores uncompressed and WARs as they come. */
    private List<ClassSet.Copy> library(String entry, byte[] jar) throws IOException {
        // A JAR starts with a local file header or, empty, with the end of its central directory.
        boolean zipHeader = jar.length >= 4 && jar[0] == 'P' && jar[1] == 'K'
                && (jar[2] == 3 && jar[3] == 4 || jar[2] == 5 && jar[3] == 6);
        if (!zipHeader) {
            throw unreadable(entry, "is not a JAR file", null);
        }
        int listed = listedEntries(jar);
        if (listed < 0) {
            throw unreadable(entry, "is a damaged JAR (it has no central directory: cut short?)", null);
        }
        List<ClassSet.Copy> out = new ArrayList<>();
        int seen = 0;
        String oversized = null;
        boolean multiRelease = false;
        Map<String, byte[]> versions = new TreeMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                seen++;
                if (e.getName().equals(java.util.jar.JarFile.MANIFEST_NAME)) {
                    byte[] manifest = atMost(in, MAX_CLASS_BYTES);
                    if (manifest == null) {
                        oversized = e.getName();
                        break;
                    }
                    multiRelease = multiRelease(new ByteArrayInputStream(manifest));
                } else if (!e.isDirectory() && VERSIONED.matcher(e.getName()).matches()) {
                    byte[] bytes = atMost(in, MAX_CLASS_BYTES);
                    if (bytes == null) {
                        oversized = e.getName();
                        break;
                    }
                    versions.put(entry + "!/" + e.getName(), bytes);
                } else if (!e.isDirectory() && Layout.isClass(e.getName())) {
                    byte[] bytes = atMost(in, MAX_CLASS_BYTES);
                    if (bytes == null) {
                        oversized = e.getName();
                        break;
                    }
                    ClassSet.Copy c = copy(entry, e.getName(), bytes);
                    if (c != null) {
                        out.add(c);
                    }
                }
            }
        } catch (Unreadable e) {
            throw e; // a class of the JAR, named: not the JAR's damage
        } catch (IOException | RuntimeException e) {
            // RuntimeException: ZipInputStream's IllegalArgumentException for a name that is no UTF-8
            throw unreadable(entry, "is a damaged JAR (" + Damage.ofZip(e) + ")", e);
        }
        if (oversized != null) {
            throw tooLarge(entry + "!/" + oversized, MAX_CLASS_BYTES);
        }
        if (multiRelease) {
            versioned.putAll(versions);
        }
        // ZipInputStream stops quietly at a damaged header: what it read must be all the JAR lists
        if (listed != ZIP64_COUNT && seen != listed) {
            throw unreadable(entry, "is a damaged JAR (its central directory lists " + listed + " entries, " + seen
                    + " could be read)", null);
        }
        return out;
    }

    /** Entry count of an END record saying "see the ZIP64 record": not compared. */
    private static final int ZIP64_COUNT = 0xFFFF;

    /**
     * The number of entries the JAR's end of central directory record lists, or -1 without one. The
     * record is 22 bytes and a comment of up to 65535, at the end.
     */
    private static int listedEntries(byte[] jar) {
        for (int i = jar.length - 22; i >= Math.max(0, jar.length - 22 - 0xFFFF); i--) {
            if (jar[i] == 'P' && jar[i + 1] == 'K' && jar[i + 2] == 5 && jar[i + 3] == 6) {
                return (jar[i + 10] & 0xff) | (jar[i + 11] & 0xff) << 8;
            }
        }
        return -1;
    }

    /**
     * One class file at {@code path} of {@code container}, checked whole: a class file ASM cannot
     * read would fail later, in the dry run or the real build but not always both. A library class
     * filed under another name is skipped (no loader finds it by that name); an application class
     * must be where its name puts it, or every name is wrong (a directory above the packages' root).
     */
    private ClassSet.Copy copy(String container, String path, byte[] bytes) throws IOException {
        String entry = container.isEmpty() ? path : container + (container.endsWith(".jar") ? "!/" : "/") + path;
        ClassFileCheck.Result read;
        try {
            read = ClassFileCheck.read(bytes);
        } catch (RuntimeException malformed) {
            throw unreadable(entry, "is not a class file Java can load (" + Damage.ofClassFile(malformed) + ")",
                    malformed);
        }
        String declared = read.declared();
        // "../x" would also be a path: --source extracts a fat JAR's classes by name, and it wrote outside
        String badName = ClassNames.notAClassName(declared);
        if (badName != null) {
            throw unreadable(entry, "is not a class file Java can load (" + badName + ")", null);
        }
        // What the JVM would refuse only when it loads the class: refused once the build is known to
        // carry or compare the class (FlawedClasses), left alone where both builds hold it unchanged.
        String flaw = ClassNames.unprintable(declared);
        if (flaw == null) {
            flaw = read.problem();
        }
        String name = path.substring(0, path.length() - ".class".length());
        if (flaw != null && !declared.equals(name)) {
            // filed under another name too: damage, whoever would or would not compare it
            throw unreadable(entry, "is not a class file Java can load (" + flaw + ")", null);
        }
        if (declared.equals(name)) {
            return new ClassSet.Copy(name, container, entry, bytes, flaw == null ? null : "entry " + Text.clean(entry)
                    + " of " + Text.clean(source.toString()) + " is not a class file Java can load (" + flaw + ")");
        }
        if (container.endsWith(".jar") || sameFileAtItsOwnName(entry, container, declared)) {
            return null;
        }
        throw new IOException(Text.clean(source.toString()) + " holds class " + Text.clean(declared.replace('/', '.')) + " as "
                + Text.clean(entry) + ": give the JAR or the directory its packages start in (for a Maven project,"
                + " target/classes)");
    }

    /**
     * Whether {@code entry}, a directory build's class file under a name not its class's, is the very
     * file the build holds at that class's name: a symbolic link shows a package directory of the build
     * under another name too (com/acme/alias to body, say). The JVM's class path reads through it and
     * never finds a class by that name; the directory given is the one its packages start in, which
     * the refusal of a misplaced class would deny. A file of its own there is still refused.
     */
    private boolean sameFileAtItsOwnName(String entry, String container, String declared) {
        Path here = files == null ? null : files.get(entry);
        Path own = files == null ? null : files.get((container.isEmpty() ? "" : container + "/") + declared
                + ".class");
        if (here == null || own == null) {
            return false;
        }
        try {
            return Files.isSameFile(here, own);
        } catch (IOException e) {
            return false; // cannot tell: refused as misplaced, as before
        }
    }

    /** An entry's refusal, told from the zip errors of the JAR around it. */
    private static final class Unreadable extends IOException {
        Unreadable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** What every refusal of an entry ends with. */
    static final String DAMAGED = ": the build is damaged; build it again (or copy it again) and retry";

    /** {@code entry} refused: named escaped, as the names of a hostile archive may hold control characters. */
    private IOException unreadable(String entry, String what, Throwable cause) {
        return new Unreadable("entry " + Text.clean(entry) + " of " + Text.clean(source.toString()) + " " + what
                + DAMAGED, cause);
    }

    private Read result(String fileSha256) {
        List<ClassSet.Copy> copies = new ArrayList<>(application);
        libraries.values().forEach(copies::addAll);
        String sha = fileSha256 != null ? fileSha256 : directoryDigest(copies);
        return new Read(source, layout, copies, libraries.size(), launcherClasses, sha, versioned);
    }

    /**
     * A directory's digest: of its classes' sorted (name, bytes) pairs, as before nested layouts
     * were read; an extracted fat JAR's or WAR's of every (entry, bytes) pair, libraries included.
     */
    private String directoryDigest(List<ClassSet.Copy> copies) {
        Map<String, byte[]> pairs = new LinkedHashMap<>();
        for (ClassSet.Copy c : copies) {
            pairs.put(layout.nested() ? c.entry() : c.name(), c.bytes());
        }
        return ClassSet.digest(pairs);
    }
}
