package io.jlivepatch.internal.watch;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJar;
import io.jlivepatch.internal.jar.PatchJarBytes;
import io.jlivepatch.internal.trust.TrustPolicy;
import io.jlivepatch.internal.watch.DirectorySnapshot.DesiredJar;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Reads a watched patch directory into a {@link DirectorySnapshot}, whichever tool wrote it.
 *
 * <ul>
 *   <li>A Kubernetes ConfigMap or Secret volume holds its files in a timestamped directory that a
 *       {@code ..data} symlink points to; the kubelet swaps that symlink in one rename, then deletes
 *       the old directory file by file. The reading goes through {@code ..data} resolved once, and
 *       resolves it again at the end: if it moved meanwhile, the reading may have seen the old
 *       version half deleted, and it is not acted on.</li>
 *   <li>Other tools write files in place: dot-files and {@code *.tmp} are ignored (where rsync, curl
 *       and editors keep a partial copy), a file must not change while it is read, and a file that
 *       is not a whole zip (a copy cut short has no end record) but was written in the last
 *       {@link #SETTLE_MILLIS} counts as still being written, not as broken; one whose modification
 *       time is ahead of this host's clock, for {@link #SETTLE_MILLIS} after the reading that first
 *       saw it as it is.</li>
 *   <li>Every JAR is checked (limits, manifest, trust) before the snapshot is {@code READY}: a
 *       broken file fails the reading, so nothing is taken down for a directory that cannot be
 *       applied whole.</li>
 * </ul>
 *
 * <p>Memory: one JAR's bytes at a time, and none for a file unchanged since the last reading (same
 * path, size, modification time, change time and file key): its digest and check are remembered,
 * unless the reading is asked to read every file again ({@link #read(boolean)}).
 */
final class WatchedDirectory {

    /** More entries than this and the directory is not a patch directory: listing stops there. */
    static final int MAX_ENTRIES = 1000;
    /** More patch JARs than this is not a patch stack anyone meant. */
    static final int MAX_PATCH_JARS = 100;
    /**
     * How long after its last change a file that is not a whole zip is taken for one still being
     * written. Longer than a copy of a patch JAR takes, short enough that a broken file is reported
     * promptly.
     */
    static final long SETTLE_MILLIS = 2000;
    static final String KUBERNETES_DATA = "..data";

    private final Path directory;
    private final LongSupplier clock;
    /** Run between resolving {@code ..data} and listing: where a test lets the kubelet act mid-reading. */
    private final Runnable afterResolve;
    /** Whether files' change times are read; false stands, in a test, for a file system without them. */
    private final boolean changeTimes;
    /** What each file seen in the last reading held, by where and what it was. Only the reading thread uses it. */
    private Map<FileState, Checked> checked = new HashMap<>();
    /**
     * The last file that did not read whole, and when a reading first saw it as it is: readings stop
     * at such a file, so one is all that is waited for at a time. Only the reading thread uses them.
     */
    private FileState unwhole;
    private long unwholeSince;

    WatchedDirectory(Path directory) {
        this(directory, System::currentTimeMillis, () -> { });
    }

    WatchedDirectory(Path directory, LongSupplier clock, Runnable afterResolve) {
        this(directory, clock, afterResolve, true);
    }

    WatchedDirectory(Path directory, LongSupplier clock, Runnable afterResolve, boolean changeTimes) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.clock = clock;
        this.afterResolve = afterResolve;
        this.changeTimes = changeTimes;
    }

    /**
     * A file as the file system describes it: the same state, the same content. The change time is
     * in it because the rest can stay the same over a rewrite in place: a new version of the same
     * size whose modification time was set back ({@code cp -p}, {@code install -p},
     * {@code rsync --inplace -t}), or two writes within one tick of a coarse clock. Nothing but the
     * kernel sets a change time ({@code utimes} cannot). {@code changed} is {@code null} where the
     * file system has none to give; the periodic reading, which reads every file, is what notices
     * such a rewrite there.
     */
    private record FileState(Path path, long size, FileTime modified, Object fileKey, FileTime changed) {
    }

    private FileState stateOf(Path p, BasicFileAttributes a) {
        return new FileState(p, a.size(), a.lastModifiedTime(), a.fileKey(), changeTime(p));
    }

    /** The file's change time ({@code unix:ctime}), or {@code null} when the file system has no "unix" view. */
    private FileTime changeTime(Path p) {
        if (!changeTimes || !p.getFileSystem().supportedFileAttributeViews().contains("unix")) {
            return null;
        }
        try {
            return (FileTime) Files.getAttribute(p, "unix:ctime");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null; // gone or unreadable meanwhile: the reading of its content says which
        }
    }

    /** What a JAR's content says, once it has been checked. */
    private record Checked(String sha256, String name, boolean replace) {
    }

    DirectorySnapshot read() {
        return read(false);
    }

    /**
     * Reads the directory. With {@code everyFile}, no digest is taken from the last reading: every
     * JAR is read and checked again (the watch's periodic reading, for a rewrite that left a file's
     * state as it was on a file system without change times, or within one tick of its clock).
     * Otherwise a file whose state is unchanged is not read again, so that the readings file events
     * start, and a waiting directory's every second, do not read and check every JAR each time.
     */
    DirectorySnapshot read(boolean everyFile) {
        if (!Files.exists(directory)) {
            return DirectorySnapshot.waiting("patch directory " + directory + " does not exist (yet); the patches stay"
                    + " as they are until it does");
        }
        if (!Files.isDirectory(directory)) {
            // Reached by the agent's patches= and by the command's 'jlivepatch watch <pid> <dir>': named so that
            // either user knows it is the directory they gave.
            return DirectorySnapshot.failed(directory + " is not a directory: a watch (patches=, 'jlivepatch watch')"
                    + " takes a directory of patch JARs; the patches stay as they are");
        }
        Path root;
        try {
            root = contentRoot();
        } catch (IOException e) {
            return DirectorySnapshot.failed(directory.resolve(KUBERNETES_DATA) + " is a symbolic link that does not"
                    + " lead to a directory (" + e + "): a Kubernetes volume's ..data points at its current files;"
                    + " the patches stay as they are");
        }
        afterResolve.run();
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path p : entries) {
                if (names.size() == MAX_ENTRIES) {
                    return DirectorySnapshot.failed("patch directory " + directory + " holds more than " + MAX_ENTRIES
                            + " entries: it is meant for patch JARs only (at most " + MAX_PATCH_JARS + "); nothing"
                            + " was changed: point the watch (patches=, 'jlivepatch watch') at a directory of patch JARs");
                }
                names.add(p.getFileName().toString());
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return DirectorySnapshot.waiting("patch directory " + directory + " changed while it was read");
        } catch (IOException | RuntimeException e) {
            return DirectorySnapshot.failed("patch directory " + directory + " cannot be read (" + e + "); the patches"
                    + " stay as they are: check that it exists and that this JVM's user may read it");
        }
        names.sort(null); // file-name order is stack order, whatever order the file system lists
        List<String> skipped = new ArrayList<>();
        List<String> jars = new ArrayList<>();
        for (String name : names) {
            if (ignored(name)) {
                continue;
            }
            if (!name.endsWith(".jar")) {
                skipped.add(name + " (not a .jar file)");
            } else if (Files.isDirectory(root.resolve(name))) {
                skipped.add(name + " (a directory)");
            } else {
                jars.add(name);
            }
        }
        if (jars.size() > MAX_PATCH_JARS) {
            return DirectorySnapshot.failed("patch directory " + directory + " holds " + jars.size() + " .jar files,"
                    + " more than the " + MAX_PATCH_JARS + " a patch stack may have; nothing was changed: remove what"
                    + " is not meant to be loaded, or give a cumulative patch");
        }
        List<DesiredJar> read = new ArrayList<>();
        DirectorySnapshot s = readJars(root, jars, skipped, everyFile, read);
        if (s.kind() != DirectorySnapshot.Kind.READY) {
            // an interrupted reading did not refuse the file it stopped at: it did not read it
            s = s.asking(asked(jars, read, s.kind() == DirectorySnapshot.Kind.WAITING ? "(waiting)"
                    : Thread.currentThread().isInterrupted() ? "(unread)" : "(refused)"));
        }
        if (s.kind() != DirectorySnapshot.Kind.FAILED && !root.equals(currentRoot())) {
            // The kubelet swapped ..data while the old version was read: it deletes that one next.
            return DirectorySnapshot.waiting("patch directory " + directory + " changed while it was read (its ..data"
                    + " moved)");
        }
        return s;
    }

    /**
     * Names the watch never reads: partial copies ({@code *.tmp}, dot-files of rsync, curl and
     * editors), and the kubelet's {@code ..data} and timestamped directories. Also what its file
     * events are filtered by, but for {@code ..data}, whose move is a Kubernetes volume's change.
     */
    static boolean ignored(String name) {
        return name.startsWith(".") || name.endsWith(".tmp");
    }

    /**
     * The directory whose files are read: a Kubernetes volume's current {@code ..data} directory,
     * resolved once, else the directory itself.
     *
     * @throws IOException when {@code ..data} is a link that leads nowhere, in a loop, or to a file
     */
    private Path contentRoot() throws IOException {
        Path data = directory.resolve(KUBERNETES_DATA);
        if (!Files.isSymbolicLink(data)) {
            return directory;
        }
        Path real = data.toRealPath();
        if (!Files.isDirectory(real)) {
            throw new NotDirectoryException(real.toString());
        }
        return real;
    }

    /** {@link #contentRoot()} now, or {@code null} when it cannot be resolved. */
    private Path currentRoot() {
        try {
            return contentRoot();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * What a directory whose reading stopped at a file asks for, as far as it was read: the patches of
     * the JARs {@code read} (from the last cumulative one on, as a whole reading takes them), the file
     * it stopped at by its name with {@code stoppedAt} ({@code (refused)}, {@code (waiting)}, as the
     * state says), and the files after it {@code (unread)}. A file's name, not a patch's: what a JAR refused names cannot
     * be taken on trust, and an unreadable one names nothing.
     */
    static String asked(List<String> jars, List<DesiredJar> read, String stoppedAt) {
        int from = 0;
        for (int i = 0; i < read.size(); i++) {
            if (read.get(i).replace()) {
                from = i;
            }
        }
        StringBuilder sb = new StringBuilder();
        for (DesiredJar j : read.subList(from, read.size())) {
            sb.append(sb.length() == 0 ? "" : " ").append(j.name());
        }
        for (int i = read.size(); i < jars.size(); i++) {
            sb.append(sb.length() == 0 ? "" : " ").append(word(jars.get(i)))
                    .append(i > read.size() ? "(unread)" : stoppedAt);
        }
        return sb.toString();
    }

    /**
     * A file name as one word of what the directory asks for: a patch name's characters ({@code
     * [A-Za-z0-9_.-]}) as they are, every other byte of its UTF-8 as {@code %XX}, as in a URL. The
     * value is split at spaces by its readers (a shell, a monitoring label grouped by), so a name with a
     * space, a line feed or a parenthesis (which the {@code (refused)} marks use) would read as other
     * entries; escaped, not refused: such a JAR loads as any other, and only this value names the file.
     */
    static String word(String file) {
        StringBuilder sb = new StringBuilder(file.length());
        for (byte b : file.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.'
                    || c == '-') {
                sb.append(c);
            } else {
                sb.append('%').append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 0xf));
            }
        }
        return sb.toString();
    }

    private static final String HEX = "0123456789ABCDEF";

    /** Reads {@code jars} in order, adding each one checked to {@code all}: a reading that stops leaves those before. */
    private DirectorySnapshot readJars(Path root, List<String> jars, List<String> skipped, boolean everyFile,
                                       List<DesiredJar> all) {
        JarLimits limits = JarLimits.current();
        Map<FileState, Checked> seen = new HashMap<>();
        Map<String, String> fileOfPatch = new HashMap<>();
        for (String file : jars) {
            Path p = root.resolve(file);
            String source = directory.resolve(file).toString();
            BasicFileAttributes before;
            try {
                before = Files.readAttributes(p, BasicFileAttributes.class);
            } catch (IOException e) {
                if (Files.isSymbolicLink(p)) {
                    return DirectorySnapshot.failed(file + " is a symbolic link to nothing readable (" + e + "):"
                            + " nothing was changed: remove it or make it lead to a patch JAR");
                }
                return DirectorySnapshot.waiting(file + " went away while the directory was read");
            }
            if (!before.isRegularFile()) {
                return DirectorySnapshot.failed(file + " is not a regular file (a pipe, a device or a socket):"
                        + " nothing was changed: put patch JARs only in " + directory);
            }
            FileState state = stateOf(p, before);
            Checked content = everyFile ? null : checked.get(state);
            if (content == null) {
                PatchJarBytes bytes = null;
                try {
                    bytes = PatchJarBytes.read(p, source, limits);
                    PatchJar jar = PatchJar.read(bytes, limits);
                    TrustPolicy.current().verify(bytes);
                    content = new Checked(bytes.sha256(), jar.name(), jar.replace());
                } catch (PatchException e) {
                    if (Thread.currentThread().isInterrupted()) {
                        // The read stopped because this thread was interrupted (BoundedOpen's wait sets the
                        // interrupt again), not because the file is partial or bad: said so, and read again.
                        return DirectorySnapshot.failed(file + " was not read: the reconcile was interrupted ("
                                + e.getMessage() + "); nothing was changed, and the next reconcile reads it again");
                    }
                    // Only a file that is not a whole zip yet may still be being written: a whole one
                    // that is refused (no patch in it, untrusted) is refused however new it is.
                    boolean whole = bytes != null && endsAsAZip(bytes.bytes());
                    if (!whole) {
                        long now = clock.getAsLong();
                        if (!state.equals(unwhole)) {
                            unwhole = state;
                            unwholeSince = now;
                        }
                        long written = before.lastModifiedTime().toMillis();
                        // A modification time ahead of this host's clock (the writer's clock skewed, an
                        // NFS server's) never grows old: the time since this version was first seen
                        // ends the wait for it instead, so a broken file is reported, not re-read forever.
                        if (now - written < SETTLE_MILLIS && now - unwholeSince < SETTLE_MILLIS) {
                            String when = written > now ? "its modification time is ahead of this host's clock"
                                    : "was written less than " + SETTLE_MILLIS / 1000 + " s ago";
                            return DirectorySnapshot.waiting(file + " does not read as a whole patch JAR yet and "
                                    + when + ": taken for a copy still being written");
                        }
                    }
                    return DirectorySnapshot.refused(e);
                }
                if (!unchanged(p, state)) {
                    return DirectorySnapshot.waiting(file + " changed while it was read: still being written");
                }
            }
            seen.put(state, content);
            String other = fileOfPatch.putIfAbsent(content.name(), file);
            if (other != null) {
                return DirectorySnapshot.failed(other + " and " + file + " both hold patch '" + content.name() + "': a"
                        + " patch is loaded once; nothing was changed: remove one of them (a new version of a"
                        + " patch replaces the file of the old one)");
            }
            all.add(new DesiredJar(file, source, p, content.sha256(), content.name(), content.replace()));
        }
        checked = seen;
        int from = 0;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).replace()) {
                from = i;
            }
        }
        for (int i = 0; i < from; i++) {
            skipped.add(all.get(i).file() + " ('" + all.get(i).name() + "' is replaced by cumulative patch '"
                    + all.get(from).name() + "' of " + all.get(from).file() + ")");
        }
        return DirectorySnapshot.ready(all.subList(from, all.size()), skipped);
    }

    /** The longest comment a zip's end record may carry. */
    private static final int MAX_ZIP_COMMENT = 0xFFFF;
    /** The end of central directory record: its signature (PK 5 6, little-endian) and fixed length. */
    private static final int END_SIGNATURE = 0x06054b50;
    private static final int END_LENGTH = 22;

    /**
     * Whether {@code b} ends with a zip's end of central directory record, written last by every zip
     * and JAR writer: a copy cut short has none.
     */
    static boolean endsAsAZip(byte[] b) {
        int last = b.length - END_LENGTH;
        for (int i = last; i >= 0 && i >= last - MAX_ZIP_COMMENT; i--) {
            int sig = (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (b[i + 3] & 0xFF) << 24;
            if (sig == END_SIGNATURE && i + END_LENGTH + ((b[i + 20] & 0xFF) | (b[i + 21] & 0xFF) << 8) == b.length) {
                return true;
            }
        }
        return false;
    }

    private boolean unchanged(Path p, FileState before) {
        try {
            return stateOf(p, Files.readAttributes(p, BasicFileAttributes.class)).equals(before);
        } catch (IOException e) {
            return false;
        }
    }
}
