package io.jlivepatch.internal.core;

import io.jlivepatch.internal.BoundedOpen;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * A file opened for appending only, as an audit trail needs it: created {@code 0600} when absent,
 * never truncated, each {@link #write} going straight to the operating system (no buffer to lose
 * when the JVM ends). On POSIX it refuses a symbolic link (someone else could point it at another
 * file), a file with more than one hard link (the same, by another means), anything but a regular
 * file (a FIFO's open would block), and a file owned by another user (someone else could read or
 * rewrite the trail). Used by one thread at a time ({@link AuditFile}'s writer).
 */
final class PrivateAppendFile implements AutoCloseable {

    /** Why the file cannot be written, in words for the log and status. */
    static class Problem extends IOException {
        Problem(String message) {
            super(message);
        }
    }

    /**
     * An open or a write of the file cut short by an interrupt of the writing thread (jlivepatch's writer
     * clears an application's interrupt before each line, but one may land during the open or the write
     * itself). A write's interrupt closed the channel ({@link ClosedByInterruptException}): {@link #rest} is
     * what did not reach the file (all of the line, part, or none: the JDK's write moves the buffer by what
     * write(2) wrote before it reports the interrupt, JDK 17 and 25 alike: IOUtil.write), and
     * {@link #begun} whether any of the line itself did, so that the file ends inside it; {@link #resume}
     * on the file opened again then leaves the line whole, written once. An open's interrupt (BoundedOpen
     * stops waiting for it) wrote nothing: {@link #rest} is null.
     */
    static final class Interrupted extends Problem {
        private final byte[] rest;
        private final boolean begun;
        /** The identity of the file the write was cut in ({@link PrivateAppendFile#key}), or null. */
        private final Object file;

        private Interrupted(String what, byte[] rest, boolean begun, Object file) {
            super("its " + what + " was interrupted (application code interrupted jlivepatch's writer thread)");
            this.rest = rest;
            this.begun = begun;
            this.file = file;
        }

        static Interrupted atOpen() {
            return new Interrupted("open", null, false, null);
        }

        /** Whether a write was cut (else an open was): {@link #rest} tells what is left of the line. */
        boolean cutAWrite() {
            return rest != null;
        }

        byte[] rest() {
            return rest;
        }
    }

    private final FileChannel channel;
    /** The file's identity (device and inode on POSIX) as the path named it just after the open, or null. */
    private final Object key;
    /**
     * Whether the file ends in part of a line (a write cut by a full disk, here or before the file was
     * opened again, or by a JVM that died mid-line): the next line then starts with a line break, so
     * that it is a whole line of its own, not glued to the broken one. Only the writer thread uses it.
     */
    private boolean lineCut;

    PrivateAppendFile(FileChannel channel, Object key, boolean lineCut) {
        this.channel = channel;
        this.key = key;
        this.lineCut = lineCut;
    }

    /** Run between the checks and the open, when set: tests put a pipe in the file's place there. */
    static volatile Runnable beforeOpenForTests;
    /** Run after the open and its checks, before the file's last byte is read, when set (tests). */
    static volatile Runnable beforeReadForTests;
    /** Run before each write of a line, when set: tests interrupt the writer there. */
    static volatile Runnable beforeWriteForTests;

    static PrivateAppendFile open(Path file) throws Problem {
        boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("unix");
        if (posix) {
            checkExisting(file);
        }
        Runnable hook = beforeOpenForTests;
        if (hook != null) {
            hook.run();
        }
        Set<OpenOption> options = Set.of(StandardOpenOption.WRITE, StandardOpenOption.APPEND,
                StandardOpenOption.CREATE, LinkOption.NOFOLLOW_LINKS);
        FileAttribute<?>[] attributes = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        try {
            // NOFOLLOW_LINKS (O_NOFOLLOW) closes the gap between the check above and the open: a
            // link put there meanwhile fails the open instead of being followed. A pipe put there
            // meanwhile is opened, and its open waits for a reader, maybe for ever: it waits a
            // bounded time (BoundedOpen), released by then where it can be, and is refused.
            FileChannel channel = BoundedOpen.open(file, options, attributes);
            if (channel == null) {
                throw new Problem("it could not be opened within " + BoundedOpen.describe(BoundedOpen.waitTime())
                        + ", though it was " + (posix ? "a regular file of this JVM's user, or absent, when checked"
                        : "checked") + ": something else is there now (a pipe nobody reads, whose open waits for a"
                        + " reader; a device), or its file system does not answer; nothing was written to it, and the"
                        + " next record opens the file at the path again");
            }
            try {
                if (posix) {
                    // Checked again, now that it is open: what was checked above may have been replaced
                    // before the open (renamed over it), and O_NOFOLLOW sees only links: a pipe someone
                    // reads would get the trail (and, read no more, hold the writer for good), another
                    // user's file would get it appended. Left: one put back in between (the open has no
                    // fstat in the JDK to tell what it opened).
                    checkOpened(file);
                }
                Object key = keyOf(file);
                Runnable read = beforeReadForTests;
                if (read != null) {
                    read.run();
                }
                return new PrivateAppendFile(channel, key, endsInsideALine(file));
            } catch (IOException | RuntimeException e) {
                try {
                    channel.close(); // nothing was written to it
                } catch (IOException ignored) {
                    // refused all the same
                }
                throw e;
            }
        } catch (Problem e) {
            throw e;
        } catch (ClosedByInterruptException e) {
            // BoundedOpen stopped waiting for the open (or endsInsideALine for its own): the interrupt is
            // an application's, which before cost the line (lost, as at any failure to open)
            throw Interrupted.atOpen();
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            throw new Problem(describe(e));
        }
    }

    /** {@link #checkExisting} of the file just opened: it must still be there, and pass the same checks. */
    private static void checkOpened(Path file) throws Problem {
        checkExisting(file, true);
    }

    /** Refuses what is there already unless it is a regular file of this JVM's user. */
    private static void checkExisting(Path file) throws Problem {
        checkExisting(file, false);
    }

    /**
     * {@link #checkExisting(Path)}; with {@code opened} (the file was just opened), a file that is not
     * there is refused too, and each refusal says it was found so once the file was opened.
     */
    private static void checkExisting(Path file, boolean opened) throws Problem {
        PosixFileAttributes attributes;
        Object uid;
        Object links;
        try {
            attributes = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            java.util.Map<String, Object> unix = Files.readAttributes(file, "unix:uid,nlink", LinkOption.NOFOLLOW_LINKS);
            uid = unix.get("uid");
            links = unix.get("nlink");
        } catch (NoSuchFileException absent) {
            if (opened) {
                throw new Problem("it was moved or removed as it was opened; the next record opens the file at the"
                        + " path again");
            }
            return; // created by the open, as this JVM's user
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            throw problem(describe(e), opened);
        }
        if (attributes.isSymbolicLink()) {
            throw problem("it is a symbolic link, which jlivepatch does not follow for its audit file:"
                    + " name the file itself", opened);
        }
        if (!attributes.isRegularFile()) {
            throw problem("it is not a regular file", opened);
        }
        String mismatch = ownerMismatch(uid, attributes.owner().getName());
        if (mismatch != null) {
            throw problem(mismatch + ": jlivepatch appends only to an audit file of its own user"
                    + " (remove it, or name another file)", opened);
        }
        // A hard link is the symbolic link's twin that O_NOFOLLOW does not see: whoever can write the
        // directory can put there a name of another file of this user's (~/.ssh/authorized_keys),
        // which passes the owner check. The trail is a file of one name.
        if (links instanceof Number && ((Number) links).longValue() > 1) {
            throw problem("it has " + links + " hard links (names), so another name may be a file that is not"
                    + " the audit trail; jlivepatch appends only to a file of one name (remove the link, or name"
                    + " another file)", opened);
        }
    }

    /** A refusal of {@link #checkExisting(Path, boolean)}: {@code why}, saying when it was found. */
    private static Problem problem(String why, boolean opened) {
        return new Problem(opened ? why + " (so found once it was opened: it was replaced after it was checked)" : why);
    }

    /**
     * Whether {@code file}'s last byte is not a line break. Read through a channel of its own: the
     * JDK refuses READ with APPEND. False when it cannot be told (the worst then is one glued line).
     * That open is of the path again, after the checks: a pipe renamed over the file meanwhile would
     * make it wait for a writer, maybe for ever, so it waits a bounded time too (BoundedOpen), and one
     * that did not return is refused, as what the path names is not the file just opened.
     */
    private static boolean endsInsideALine(Path file) throws Problem {
        FileChannel opened;
        try {
            opened = BoundedOpen.open(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
        } catch (ClosedByInterruptException e) {
            throw Interrupted.atOpen(); // opened again once the interrupt is cleared: the answer matters
        } catch (IOException | RuntimeException e) {
            return false;
        }
        if (opened == null) {
            throw problem("it did not open again for reading its last byte within "
                    + BoundedOpen.describe(BoundedOpen.waitTime()) + ": something else is there now (a pipe nobody"
                    + " writes; a device); nothing was written to it, and the next record opens the file at the path"
                    + " again", true);
        }
        try (FileChannel in = opened) {
            long size = in.size();
            ByteBuffer last = ByteBuffer.allocate(1);
            return size > 0 && in.read(last, size - 1) == 1 && last.get(0) != '\n';
        } catch (ClosedByInterruptException e) {
            throw Interrupted.atOpen();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Whether {@code file} still names the file this appends to: false once it was moved away
     * (logrotate without copytruncate), removed, or replaced, whose records would otherwise go to a
     * file nobody reads. True when the system cannot tell.
     */
    boolean stillAt(Path file) {
        if (key == null) {
            return true;
        }
        try {
            return key.equals(keyOf(file));
        } catch (NoSuchFileException gone) {
            return false;
        } catch (IOException | RuntimeException cannotTell) {
            return true;
        }
    }

    private static Object keyOf(Path file) throws IOException {
        try {
            return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    void write(byte[] line) throws Problem {
        ByteBuffer buffer;
        if (lineCut) {
            buffer = ByteBuffer.allocate(line.length + 1).put((byte) '\n').put(line);
            buffer.flip();
        } else {
            buffer = ByteBuffer.wrap(line);
        }
        writeFrom(buffer, lineCut ? 1 : 0, false);
    }

    /**
     * Completes {@code line}, whose write {@code cut} was cut short by an interrupt, in this file, opened
     * after the cut. When part of the line reached the file and this is that very file, the rest is
     * written ({@link #writeRest}): the file ends inside the line. Otherwise the line is written whole, as
     * any line: none of it reached a file (the part written, if any, was the mending line break), or the
     * file at the path was replaced between the cut and this open (logrotate, say): the rest alone would
     * begin that new file with the end of a line, whose start is in the old one, and no whole copy of the
     * record anywhere; now the old file ends inside that line, as one a JVM died in the middle of, and
     * the new one has it whole.
     */
    void resume(Interrupted cut, byte[] line) throws Problem {
        if (cut.begun && java.util.Objects.equals(key, cut.file)) {
            writeRest(cut.rest);
        } else {
            write(line);
        }
    }

    /**
     * Writes what an {@link Interrupted} write of this file, opened before, left out, as it is: the part of
     * the line that did not reach the file, with no line break of its own ahead of it (the file ends inside
     * that very line, which this completes). With O_APPEND it lands at the end: right after the part
     * written, unless another JVM appended to the same file in between.
     */
    void writeRest(byte[] rest) throws Problem {
        writeFrom(ByteBuffer.wrap(rest), 0, true);
    }

    /**
     * Writes {@code buffer}, whose line begins at {@code lineStart} (after a mending line break);
     * {@code begun}: part of that line is in the file already ({@link #writeRest}).
     */
    private void writeFrom(ByteBuffer buffer, int lineStart, boolean begun) throws Problem {
        int start = buffer.position();
        try {
            Runnable hook = beforeWriteForTests;
            if (hook != null) {
                hook.run();
            }
            // One write(2) for the whole line in the usual case; with O_APPEND each lands at the
            // end, also when another JVM appends to the same file.
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            lineCut = false;
        } catch (ClosedByInterruptException e) {
            // The channel is closed; the buffer's position counts what was written before it was (the
            // JDK moves it by what write(2) returned, then reports the interrupt).
            boolean lineBegun = begun || buffer.position() > start + lineStart;
            byte[] rest = new byte[buffer.remaining()];
            buffer.get(rest);
            throw new Interrupted("write", rest, lineBegun, key);
        } catch (IOException | RuntimeException e) {
            // Not truncated back: another JVM may have appended after the cut line meanwhile.
            if (buffer.position() > start) {
                lineCut = buffer.get(buffer.position() - 1) != '\n';
            }
            throw new Problem(describe(e));
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was buffered: every line was written or reported already
        }
    }

    /** The reason in words, without the path (the caller names it). */
    static String describe(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "its directory does not exist";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
            return ((FileSystemException) e).getReason();
        }
        String message = e.getMessage();
        return message == null || message.isEmpty() ? e.getClass().getName() : message;
    }

    /**
     * Why a file of owner {@code uid} (named {@code name}) is not this JVM's user's, or {@code null}
     * when it is: by uid where the JDK tells this JVM's (jdk.security.auth), else by name.
     */
    private static String ownerMismatch(Object uid, String name) {
        long mine = ownUid();
        if (mine < 0) {
            // Neither way to the uid: the user's name, which -Duser.name can change.
            String me = System.getProperty("user.name");
            return name.equals(me) ? null : "it is owned by " + name + ", not by this JVM's user " + me;
        }
        if (uid instanceof Number && ((Number) uid).longValue() == mine) {
            return null;
        }
        return "it is owned by " + name + " (uid " + uid + "), not by this JVM's user (uid " + mine + ")";
    }

    /**
     * This process's uid: from the JDK's {@code UnixSystem}, else (a runtime without jdk.security.auth, a
     * jlink'ed image) from the owner of /proc/self, which is the process's; -1 when neither tells. Not
     * {@code user.name}: {@code -Duser.name=bob} made the real user's own file "owned by another".
     */
    static long ownUid() {
        try {
            return new com.sun.security.auth.module.UnixSystem().getUid();
        } catch (LinkageError | RuntimeException e) {
            // below
        }
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return uid instanceof Number ? ((Number) uid).longValue() : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
