package io.jlivepatch.internal.build;

import io.jlivepatch.internal.Text;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The SHA-256 of a build's JAR, held to be the digest of the bytes the build read from it: the
 * patch records it ({@code Livepatch-Old-Build-SHA256}), and core shows it to operators as what the
 * patch was built from. {@link java.util.zip.ZipFile} reads the JAR by its path, at the places its
 * central directory names, whenever an entry is opened, so no digest can be taken of what it reads
 * as it reads it; and a copy into memory or a temporary file would double what a fat JAR of hundreds
 * of megabytes costs. So the file is digested before its entries are read and again after, its
 * identity (file key, size, time of last change) taken each time, and any difference refuses the
 * build: a JAR replaced or rewritten while it was read (a CI job writing the next build into the same
 * path, by a move or in place) would otherwise give one file's classes and another file's digest.
 *
 * <p>The first digest's channel stays open until the second check, so that the file digested first
 * cannot be freed and its file key reused by another file meanwhile. What escapes the check is a
 * writer that puts back the very bytes and the very time of last change it found (a move away and
 * back, or a rewrite restoring the time): no build tool does that.
 */
final class DigestedFile implements Closeable {

    /** Where a test may change or fail the file ({@link #hookForTests}). */
    enum Stage {
        /** before the file is opened for its first digest */
        OPENING,
        /** after the first buffer of a digest, first or second */
        DIGESTING,
        /** after the first digest, before the caller reads the file */
        DIGESTED,
        /** after the caller read the file, before the second digest */
        READ
    }

    interface Hook {
        void at(Stage stage, Path file) throws IOException;
    }

    /**
     * For tests: called at each {@link Stage}, to replace, rewrite or fail the file there. Set and
     * reset by a test around its build (the builder's tests run one at a time); volatile: the write in
     * the test's JarReadHook pairs with the reads at each stage, whichever thread builds.
     */
    static volatile Hook hookForTests = (stage, file) -> {
    };

    /** What says whether the file at a path is still the one it was. */
    private record Identity(Object fileKey, long size, FileTime modified) {
        static Identity of(BasicFileAttributes a) {
            return new Identity(a.fileKey(), a.size(), a.lastModifiedTime());
        }
    }

    private final Path path;
    private final String what;
    private final FileChannel held;
    private final Identity identity;
    private final String sha256;

    private DigestedFile(Path path, String what, FileChannel held, Identity identity, String sha256) {
        this.path = path;
        this.what = what;
        this.held = held;
        this.identity = identity;
        this.sha256 = sha256;
    }

    /**
     * Digests {@code path} a first time.
     *
     * @param what what the file is, for the advice: {@code "the build"}
     * @throws DirectoryFiles.Unreadable when it cannot be read, or changes while it is digested
     */
    static DigestedFile open(Path path, String what) throws IOException {
        FileChannel ch = null;
        try {
            hookForTests.at(Stage.OPENING, path);
            Identity before = identity(path);
            ch = FileChannel.open(path, StandardOpenOption.READ);
            String sha = digest(ch, path);
            if (!before.equals(identity(path))) {
                throw changed(path);
            }
            DigestedFile f = new DigestedFile(path, what, ch, before, sha);
            hookForTests.at(Stage.DIGESTED, path);
            return f;
        } catch (IOException e) {
            if (ch != null) {
                ch.close();
            }
            throw e instanceof DirectoryFiles.Unreadable u ? u : DirectoryFiles.cannotRead(path, e, what);
        }
    }

    /** The first digest: the caller's to use once {@link #confirm} has held it to be of the bytes it read. */
    String sha256() {
        return sha256;
    }

    /**
     * Holds the file to be the one {@link #open} digested, with the same bytes: what was read between
     * then and now was what the digest is of.
     *
     * @throws DirectoryFiles.Unreadable when it is not, or cannot be read again
     */
    void confirm() throws IOException {
        try {
            hookForTests.at(Stage.READ, path);
            if (!identity.equals(identity(path))) {
                throw changed(path);
            }
            try (FileChannel now = FileChannel.open(path, StandardOpenOption.READ)) {
                if (!sha256.equals(digest(now, path))) {
                    throw changed(path);
                }
            }
        } catch (DirectoryFiles.Unreadable e) {
            throw e;
        } catch (IOException e) {
            throw DirectoryFiles.cannotRead(path, e, what);
        }
    }

    @Override
    public void close() throws IOException {
        held.close();
    }

    private static Identity identity(Path path) throws IOException {
        return Identity.of(Files.readAttributes(path, BasicFileAttributes.class));
    }

    private static String digest(FileChannel ch, Path path) throws IOException {
        MessageDigest md = ClassSet.sha();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long at = 0;
        boolean first = true;
        for (int n; (n = ch.read(buf.clear(), at)) >= 0; at += n) {
            md.update(buf.flip());
            if (first) {
                first = false;
                hookForTests.at(Stage.DIGESTING, path);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static DirectoryFiles.Unreadable changed(Path path) {
        return new DirectoryFiles.Unreadable(Text.clean(path.toString()) + " changed while jlivepatch read it: its"
                + " classes and the SHA-256 the patch records would not be of one file; build again once nothing"
                + " writes it", null);
    }
}
