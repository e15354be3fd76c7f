package io.jlivepatch.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Refuses to run classes of jlivepatch that are not those of the JAR they are served for.
 *
 * <p>A class-data archive (a JDK 25 AOT cache, a CDS archive) holds classes as they were when it
 * was recorded, and the JVM serves them from it instead of reading the JAR. It is meant to reject
 * the archive when a JAR of the class path changed; JDK 25 up to 25.0.3 does not always
 * (JDK-8377932), so after jlivepatch's JAR is replaced by another build, or installed elsewhere,
 * the old build's classes would run, next to the new build's bootstrap classes, which are always
 * read from a JAR. Each build compiles its stamp into {@link BuildStamp} and writes it beside its
 * classes as {@value #RESOURCE}; a resource is always read from the JAR, so the two differ exactly
 * when the classes are not the JAR's. The JAR asked is the one the classes say they come from (their
 * code source, which an archive records); when that is gone, the first JAR the class loader finds
 * the resource in. Archives serve classes from JARs only, so a class directory is not asked. Not
 * caught: an archive serving an old build for a JAR that is still where it was recorded while this
 * start's class path names a new one elsewhere: the old build then runs whole, with its own
 * bootstrap classes, and {@code jlivepatch list} shows its build. (Against someone who can write the
 * archive this proves nothing: the archive is code, to be kept like the JARs.)
 */
public final class OwnBuild {

    static final String RESOURCE = "META-INF/jlivepatch/build-stamp";

    /** No change time known: a file system or an older record without one. */
    public static final long UNKNOWN = Long.MIN_VALUE;

    // The JAR check() found and its size, times, file key and central directory then (overwritten()):
    // written once, by the installation, the five before `opened`, whose volatile write publishes them.
    private static long openedSize;
    private static long openedModified;
    private static long openedChanged = UNKNOWN;
    private static Object openedKey;
    private static long openedDirectory = UNKNOWN;
    private static volatile Path opened;

    private OwnBuild() {
    }

    /** This build's stamp, as compiled in. */
    public static String stamp() {
        return BuildStamp.value();
    }

    /**
     * Checks jlivepatch's running classes against the JAR they are served for.
     *
     * @throws IllegalStateException when they are another build's: the message says what to do
     */
    public static void check() {
        java.security.CodeSource source = OwnBuild.class.getProtectionDomain().getCodeSource();
        URL location = source == null ? null : source.getLocation();
        // null: the class loader is asked, without a lambda (a class of its own at every first load)
        check(location, null, BuildStamp.value());
        Path own = jarFile(location);
        if (own != null) {
            remember(own); // the file as it is now, for overwritten()
        }
    }

    /**
     * @param location the classes' code source, or {@code null}
     * @param first    the resource as the class loader finds it first ({@code null}: ask this class's
     *                 loader); asked only when there is no JAR at {@code location} (a class loader's
     *                 first look for a resource outside a package opens the JDK's module image:
     *                 milliseconds of every start-up)
     */
    static void check(URL location, java.util.function.Supplier<URL> first, String compiled) {
        Path own = jarFile(location);
        if (own != null) {
            refuseIfOther(own, compiled);
            return;
        }
        if (isDirectory(location)) {
            return; // an archive never serves classes from a directory
        }
        // No code source, or its JAR is gone (an archive recorded it elsewhere, since removed): the
        // JAR this start's class path serves the resource from is what the classes must match.
        URL found = first != null ? first.get() : OwnBuild.class.getClassLoader() == null
                ? ClassLoader.getSystemResource(RESOURCE) : OwnBuild.class.getClassLoader().getResource(RESOURCE);
        refuseIfOther(found == null ? null : jarFile(jarOf(found)), compiled);
    }

    private static boolean isDirectory(URL location) {
        try {
            return location != null && "file".equals(location.getProtocol())
                    && Files.isDirectory(Path.of(location.toURI()));
        } catch (URISyntaxException | RuntimeException e) {
            return false;
        }
    }

    private static void refuseIfOther(Path jar, String compiled) {
        if (jar == null) {
            return;
        }
        String beside;
        try {
            beside = stampIn(jar);
        } catch (IOException | RuntimeException unreadable) {
            return; // no evidence either way: the archive's own checks are all there is
        }
        if (compiled.equals(beside)) {
            return;
        }
        String held = beside == null ? "holds no build stamp (" + RESOURCE + "): a build of jlivepatch from before"
                + " the stamp, or repackaged without that file" : "holds build " + beside;
        throw new IllegalStateException("jlivepatch's classes in this JVM are not those of " + jar + ": they are"
                + " build " + compiled + ", the JAR " + held + ". They come from a class-data archive recorded with"
                + " another build of jlivepatch, such as an AOT cache (-XX:AOTCache) made before the JAR was replaced"
                + " or moved, which this JDK does not notice, or the JAR was replaced after this JVM loaded them."
                + " Record the archive again with this JAR, or start without it (after a replacement under a"
                + " running JVM: restart it); when repackaging jlivepatch, keep " + RESOURCE);
    }

    private static void remember(Path jar) {
        try {
            BasicFileAttributes a = Files.readAttributes(jar, BasicFileAttributes.class);
            openedSize = a.size();
            openedModified = a.lastModifiedTime().toMillis();
            openedKey = a.fileKey();
            openedChanged = changed(jar);
            openedDirectory = directory(jar);
            opened = jar; // publishes the five above
        } catch (IOException | RuntimeException e) {
            // nothing remembered: overwritten() cannot tell, as before
        }
    }

    /**
     * The JAR the installation found, as it was then: {@code <size> <modified, ms> <file key>[ <changed,
     * ns>]}, or null when none was (classes from a directory, an unreadable file). The agent publishes
     * it for the command (AgentMain.JAR_PROPERTY), whose check reads it back: one look at the file for
     * both, so the JVM's record and the command's cannot differ.
     */
    public static String opened() {
        Path jar = opened; // volatile read: pairs with remember()'s write
        if (jar == null || openedKey == null) {
            return null;
        }
        return openedSize + " " + openedModified + " " + openedKey + (openedChanged == UNKNOWN ? "" : " " + openedChanged);
    }

    /** The JAR the installation found ({@link #opened()}'s file), or null when none was. */
    public static Path openedJar() {
        return opened; // volatile read: pairs with remember()'s write
    }

    /**
     * The CRC-32 of the central directory of the JAR the installation found ({@link #directory}), or
     * {@link #UNKNOWN}. The agent publishes it beside {@link #opened()}'s record, in a property of its
     * own (AgentMain.DIRECTORY_PROPERTY): a command older than it splits that record into four fields
     * and would take a fifth for part of the change time, and check nothing.
     */
    public static long openedDirectory() {
        return opened == null ? UNKNOWN : openedDirectory; // volatile read: pairs with remember()'s write
    }

    /**
     * Why jlivepatch must not start code it has not run yet, or null: the JAR its classes come from was
     * overwritten in place since the installation (cp or curl -o of another build into the same file).
     * The JVM reads each of jlivepatch's classes from that file when the class is first used, at the
     * offsets its central directory gave when it was opened; after such a write that read fails, and
     * the JVM keeps the failure for good, so an operation could stop halfway. Null too when nothing is
     * known (no JAR, unreadable), the JVM holds no such file open and the path now names another file
     * (renamed over it: the JVM reads its own) or none, or the same build was written over itself
     * (same size and build stamp).
     */
    public static String overwritten() {
        Path jar = opened; // volatile read: pairs with remember()'s write
        if (jar == null) {
            return null;
        }
        try {
            return overwritten(jar, openedSize, openedModified, openedChanged, openedDirectory, openedKey,
                    BuildStamp.value());
        } catch (RuntimeException e) {
            return null;
        }
    }

    static String overwritten(Path jar, long size, long modified, Object key, String compiled) {
        return overwritten(jar, size, modified, UNKNOWN, key, compiled);
    }

    static String overwritten(Path jar, long size, long modified, long changed, Object key, String compiled) {
        return overwritten(jar, size, modified, changed, UNKNOWN, key, compiled);
    }

    static String overwritten(Path jar, long size, long modified, long changed, long directory, Object key,
                              String compiled) {
        if (key == null) {
            return null;
        }
        String[] o = overwrite(OWN_FILES, jar, size, modified, changed, directory, key.toString(), compiled);
        return o == null ? null : "jlivepatch's JAR " + o[0] + " was overwritten since this JVM opened it ("
                + o[1] + "): this JVM reads jlivepatch's classes from it as they are first used, and would fail"
                + " for good where it needs one not used yet. Put back the JAR it started with (build " + compiled
                + ") at that path, byte for byte, or restart the JVM; upgrade jlivepatch by writing the new JAR under"
                + " another name, or to a temporary name renamed over the old one (mv), never by copying it into the"
                + " file in use";
    }

    /** This JVM's open files, by descriptor (Linux); where there is no such directory, the path is looked at. */
    private static final Path OWN_FILES = Path.of("/proc/self/fd");
    /** The descriptor the JAR was found open at last: looked at first, the directory only when it moved. */
    private static volatile Path lastFound; // any thread's finding will do: each is checked by its file key

    /**
     * What overwrote the JAR a JVM opened, as {its name now, what changed}, or null when it is as it
     * was (or the same build written over itself: same size and build stamp, every entry where it
     * was), or nothing can be known. The file
     * looked at is the one open in {@code files} (a {@code /proc/<pid>/fd}) with {@code key}, whatever it
     * is called now (renamed away and then overwritten included); when none is, {@code jar} if it is
     * still that file (a JVM that closed it, or no /proc). Both the JVM's own check and the command's
     * (cli's OverwrittenAgentJar, which reads the JVM's record of the JAR) decide here. Its name now is
     * the path the JVM opened, or the one it was renamed to (" (deleted)" when removed since); what
     * changed reads {@code <size> then, <size> now; modified ...; it now holds ...}.
     *
     * <p>Only classes the installation loaded (this one) and the JDK's: in the JVM it runs first when
     * the JAR is overwritten, and a class of jlivepatch's not loaded yet would fail to load right there
     * (hence an array, not a record of jlivepatch's). Nothing here is cleaned of control characters
     * either ({@link Text} may not be loaded): the command cleans what it prints.
     *
     * @param jar      the path the JVM opened it by, or {@code null} when unknown (the command)
     * @param changed   its change time then ({@link #changed}), or {@link #UNKNOWN}: a write with the
     *                  size and modification time kept is seen by it, where the file system keeps one
     *                  fine enough
     * @param directory its central directory's CRC-32 then ({@link #directory}), or {@link #UNKNOWN}:
     *                  such a write of another build is seen by it where there is no change time
     * @param compiled  the running build's stamp, or {@code null} when unknown
     */
    public static String[] overwrite(Path files, Path jar, long size, long modified, long changed, long directory,
                                     String key, String compiled) {
        Path file = openFile(files, key);
        String name;
        if (file != null) {
            name = nameOf(file, jar);
        } else if (jar != null && key.equals(String.valueOf(fileKey(jar)))) {
            file = jar;
            name = jar.toString();
        } else {
            return null; // removed, renamed over, or cannot be read: the JVM reads the file it has open
        }
        BasicFileAttributes now;
        try {
            now = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException | RuntimeException e) {
            return null; // closed meanwhile
        }
        boolean timeKept = now.lastModifiedTime().toMillis() == modified;
        if (now.size() == size && timeKept && (changed == UNKNOWN || changed(file) == changed)
                && (directory == UNKNOWN || sameDirectory(file, directory))) {
            return null;
        }
        String held;
        try {
            held = stampIn(file);
        } catch (IOException | RuntimeException e) {
            held = null;
        }
        boolean same = held != null && held.equals(compiled);
        if (now.size() == size && same) {
            return null; // the same build written over itself: every entry where it was
        }
        return new String[] {name, size + " bytes then, " + now.size() + " now; modified " + Instant.ofEpochMilli(modified)
                + (timeKept ? " then and now: written since, its time kept" : " then, " + Instant.ofEpochMilli(
                now.lastModifiedTime().toMillis()) + " now") + "; it now holds " + (held == null
                ? "no jlivepatch JAR" : same ? "the same build at other offsets" : "build " + held)};
    }

    /**
     * The file's change time (ctime, in nanoseconds), or {@link #UNKNOWN}: every write moves it and no
     * copy can set it back (cp -p, touch -d set the modification time only).
     */
    public static long changed(Path p) {
        try {
            Object t = Files.getAttribute(p, "unix:ctime");
            return t instanceof java.nio.file.attribute.FileTime ? ((java.nio.file.attribute.FileTime) t).to(
                    java.util.concurrent.TimeUnit.NANOSECONDS) : UNKNOWN;
        } catch (IOException | RuntimeException e) {
            return UNKNOWN; // no "unix" view (not Linux nor another Unix), or unreadable
        }
    }

    /** Whether {@code file}'s central directory has CRC-32 {@code directory}, or cannot be read to tell. */
    private static boolean sameDirectory(Path file, long directory) {
        long now = directory(file);
        return now == UNKNOWN || now == directory;
    }

    /** The size of a zip's end of central directory record without its comment. */
    private static final int END = 22;
    /** The largest central directory read: a JAR of jlivepatch's has some 75 KB of it. */
    private static final int MAX_DIRECTORY = 16 << 20;

    /**
     * The CRC-32 of {@code jar}'s central directory (its entries' names, CRC-32s, sizes and offsets:
     * what any other content of the same size changes), -1 when the file has none (not a zip), or
     * {@link #UNKNOWN} when it cannot be read. Reads the directory alone, found from the end record,
     * itself read first without a comment (jlivepatch's JAR has none), so the installation reads some
     * 75 KB of a file the JVM has just read.
     */
    static long directory(Path jar) {
        try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(jar)) {
            long size = in.size();
            if (size < END) {
                return -1;
            }
            java.nio.ByteBuffer tail = read(in, size - END, END);
            int at = tail.getInt(0) == 0x06054b50 ? 0 : -1; // PK\5\6, little-endian
            if (at < 0) { // a comment after the record: look for it in the last 64 KiB
                int n = (int) Math.min(size, END + 0xffff);
                tail = read(in, size - n, n);
                for (int i = n - END; i >= 0 && at < 0; i--) {
                    if (tail.getInt(i) == 0x06054b50 && i + END + (tail.getShort(i + 20) & 0xffff) == n) {
                        at = i;
                    }
                }
                if (at < 0) {
                    return -1;
                }
            }
            long length = tail.getInt(at + 12) & 0xffffffffL;
            long offset = tail.getInt(at + 16) & 0xffffffffL;
            if (length > MAX_DIRECTORY || offset + length > size) {
                return -1; // ZIP64, or not a zip's numbers: nothing a JVM could run from
            }
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(read(in, offset, (int) length));
            return crc.getValue();
        } catch (IOException | RuntimeException e) {
            return UNKNOWN;
        }
    }

    /** {@code n} bytes of {@code in} from {@code position}, little-endian; fewer at the file's end. */
    private static java.nio.ByteBuffer read(java.nio.channels.FileChannel in, long position, int n) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining() && in.read(b, position + b.position()) >= 0) {
            // until full, or the end of the file (written shorter meanwhile)
        }
        return b.flip();
    }

    private static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The entry of {@code files} open on the file of {@code key} (the link followed), or null. */
    private static Path openFile(Path files, String key) {
        Path last = lastFound;
        if (last != null && last.startsWith(files) && key.equals(String.valueOf(fileKey(last)))) {
            return last;
        }
        try (java.nio.file.DirectoryStream<Path> fds = Files.newDirectoryStream(files)) {
            for (Path fd : fds) {
                if (key.equals(String.valueOf(fileKey(fd)))) {
                    lastFound = fd;
                    return fd;
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc, or another user's process: nothing known here
        }
        return null;
    }

    /** The path the open file {@code fd} names now (its link), else {@code jar}, else what it is. */
    private static String nameOf(Path fd, Path jar) {
        try {
            return Files.readSymbolicLink(fd).toString();
        } catch (IOException | RuntimeException e) {
            return jar != null ? jar.toString() : "its agent JAR";
        }
    }

    /** The JAR file at {@code location}, or {@code null} when it is none (a directory, another scheme). */
    static Path jarFile(URL location) {
        if (location == null || !"file".equals(location.getProtocol())) {
            return null;
        }
        try {
            Path p = Path.of(location.toURI());
            return Files.isRegularFile(p) ? p : null;
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The JAR of the resource's {@code jar:file:<jar>!/}{@value #RESOURCE} URL, as a {@code file:} URL,
     * or {@code null} for any other URL (a directory's, a JAR nested in a JAR).
     */
    static URL jarOf(URL resource) {
        String s = resource.toString();
        int bang = s.indexOf("!/");
        if (!s.startsWith("jar:file:") || bang < 0 || !s.substring(bang + 2).equals(RESOURCE)) {
            return null;
        }
        try {
            return new URL(s.substring("jar:".length(), bang));
        } catch (java.net.MalformedURLException e) {
            return null;
        }
    }

    /** The stamp {@code jar} holds, or {@code null} when it holds none. */
    static String stampIn(Path jar) throws IOException {
        // A JAR the class loader has open already: opening it again shares its zip.
        try (JarFile j = new JarFile(jar.toFile(), false)) {
            JarEntry e = j.getJarEntry(RESOURCE);
            if (e == null) {
                return null;
            }
            try (InputStream in = j.getInputStream(e)) {
                String s = new String(in.readNBytes(256), StandardCharsets.UTF_8);
                int nl = s.indexOf('\n');
                return (nl < 0 ? s : s.substring(0, nl)).trim();
            }
        }
    }
}
