package io.jlivepatch.internal.patch;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.Set;

/**
 * jlivepatch's directory for temporary files, {@code ${java.io.tmpdir}/jlivepatch-<user>}, private to
 * the JVM's user: created owner-only ({@code 0700}) where the file system is POSIX, and refused when it
 * is a symbolic link, not a directory, owned by another user, or writable by group or others (anyone
 * who can write there could swap a file between its writing and its use).
 *
 * <p>Each file is named after the pid of the JVM that wrote it ({@code <prefix><pid>-<suffix>}), so
 * that the next JVM to start can {@link #removeStale remove} the files of one that died without
 * running its exit hooks ({@code kill -9}, a crash). The pid comes from the {@code /proc/self} link on
 * Linux: {@code ProcessHandle} would initialize its process-reaper machinery in every application's
 * start-up.
 */
public final class PrivateTempDir {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS_WRITE =
            EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
    private static final Path PROC = Paths.get("/proc");

    private PrivateTempDir() {
    }

    /** {@code ${java.io.tmpdir}/jlivepatch-${user.name}}, made or checked. */
    public static Path open() throws IOException {
        return open(Paths.get(System.getProperty("java.io.tmpdir")), System.getProperty("user.name", ""));
    }

    /**
     * {@code base/jlivepatch-<user>}, created owner-only if absent, else checked.
     *
     * @throws IOException when it cannot be created, or is not private to this JVM's user: the message
     *                     says what is wrong and what to do
     */
    static Path open(Path base, String user) throws IOException {
        // String.concat rather than +: on the start-up path, + would spin method handles for its shape.
        Path dir = base.resolve("jlivepatch-".concat(fileNameOf(user)));
        try {
            return Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException exists) {
            check(dir);
            return dir;
        } catch (UnsupportedOperationException notPosix) {
            return Files.createDirectories(dir); // a Windows temporary directory is the user's own already
        }
    }

    private static void check(Path dir) throws IOException {
        PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String otherwise = ": remove it, or give the JVM another temporary directory (-Djava.io.tmpdir)";
        if (a.isSymbolicLink()) {
            throw new IOException(dir + " is a symbolic link, not a directory of this user's own" + otherwise);
        }
        if (!a.isDirectory()) {
            throw new IOException(dir + " is not a directory" + otherwise);
        }
        String stranger = strangerOwning(dir, a);
        if (stranger != null) {
            throw new IOException(dir + " belongs to " + stranger + ", not to the user of this JVM" + otherwise);
        }
        Set<PosixFilePermission> open = EnumSet.noneOf(PosixFilePermission.class);
        open.addAll(a.permissions());
        open.retainAll(GROUP_OR_OTHERS_WRITE);
        if (!open.isEmpty()) {
            throw new IOException(dir + " is writable by other users (" + PosixFilePermissions.toString(a.permissions())
                    + "): make it private with 'chmod 700 " + dir + "', remove it, or give the JVM another temporary"
                    + " directory (-Djava.io.tmpdir)");
        }
    }

    /**
     * Who owns {@code dir} when it is not the JVM's user, else {@code null}. Compared by uid with the
     * owner of {@code /proc/self} where there is one, which asks no user database (a directory
     * service may be slow); by name otherwise, or when the uids differ (a process that is not
     * dumpable has a /proc/self of root's).
     */
    private static String strangerOwning(Path dir, PosixFileAttributes a) throws IOException {
        Path self = PROC.resolve("self");
        try {
            Object dirUid = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (Files.isDirectory(self) && dirUid.equals(Files.getAttribute(self, "unix:uid"))) {
                return null;
            }
        } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
            // compared by name below
        }
        UserPrincipal user;
        try {
            user = FileSystems.getDefault().getUserPrincipalLookupService()
                    .lookupPrincipalByName(System.getProperty("user.name", ""));
        } catch (IOException notInTheUserDatabase) {
            return a.owner().getName() + " (this JVM's user, " + System.getProperty("user.name")
                    + ", is not in the user database)";
        }
        return a.owner().equals(user) ? null : a.owner().getName();
    }

    /** {@code user} reduced to characters that are safe in a file name. */
    static String fileNameOf(String user) {
        StringBuilder sb = new StringBuilder(user.length());
        for (int i = 0; i < user.length() && sb.length() < 64; i++) {
            char c = user.charAt(i);
            sb.append(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
                    || c == '-' ? c : '_');
        }
        return sb.length() == 0 || sb.charAt(0) == '.' ? "_".concat(sb.toString()) : sb.toString();
    }

    /** This JVM's pid, cheaply: the target of the {@code /proc/self} link where there is one. */
    public static long currentPid() {
        try {
            return Long.parseLong(Files.readSymbolicLink(PROC.resolve("self")).toString());
        } catch (IOException | UnsupportedOperationException | NumberFormatException noProc) {
            return ProcessHandle.current().pid();
        }
    }

    /**
     * Deletes the files {@code <prefix><pid>-...} of {@code dir} whose process is gone. A reused pid
     * keeps its file until that process ends too. A socket whose pid is not seen here is kept while
     * something accepts on it: a JVM in another pid namespace (a container sharing this temporary
     * directory) has pids this one cannot see, and deleting its socket would cut its command off.
     */
    public static void removeStale(Path dir, String prefix) throws IOException {
        long self = currentPid();
        // File.list rather than a DirectoryStream, whose classes and locks would add to every start-up.
        String[] names = dir.toFile().list();
        if (names == null) {
            throw new IOException(dir + " cannot be listed");
        }
        for (String name : names) {
            long pid = pidOf(name, prefix);
            if (pid > 0 && pid != self && !isAlive(pid) && !(name.endsWith(".sock") && accepts(dir.resolve(name)))) {
                Files.deleteIfExists(dir.resolve(name));
            }
        }
    }

    /** The pid in {@code <prefix><pid>-...}, or -1. */
    static long pidOf(String fileName, String prefix) {
        int dash = fileName.indexOf('-', prefix.length());
        if (!fileName.startsWith(prefix) || dash <= prefix.length()) {
            return -1;
        }
        try {
            return Long.parseLong(fileName.substring(prefix.length(), dash));
        } catch (NumberFormatException notOurs) {
            return -1;
        }
    }

    /**
     * Whether a process may accept connections on the socket {@code path} (it sees one that closes at
     * once). Only a refused connection says no: the connect does not block (a stopped JVM's full
     * backlog would hold it for good), and anything else keeps the file.
     */
    private static boolean accepts(Path path) {
        try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            c.configureBlocking(false);
            c.connect(java.net.UnixDomainSocketAddress.of(path)); // connected, or pending: something listens
            return true;
        } catch (java.net.ConnectException refused) {
            return false; // nothing listens there: the file of a process that is gone
        } catch (IOException | RuntimeException cannotTell) {
            return true;
        }
    }

    private static boolean isAlive(long pid) {
        if (Files.isDirectory(PROC.resolve("self"))) {
            return Files.exists(PROC.resolve(Long.toString(pid)));
        }
        return ProcessHandle.of(pid).isPresent();
    }
}
