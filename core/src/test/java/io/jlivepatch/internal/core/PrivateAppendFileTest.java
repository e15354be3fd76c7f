package io.jlivepatch.internal.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The audit file's lines stay whole lines when the disk fills up in the middle of one. */
class PrivateAppendFileTest {

    /** A file on a disk with {@code room} bytes left, then room again when told. */
    private static class FillingDisk extends FileChannel {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        int room;

        FillingDisk(int room) {
            this.room = room;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (room == 0) {
                throw new IOException("No space left on device");
            }
            int n = Math.min(room, src.remaining());
            for (int i = 0; i < n; i++) {
                written.write(src.get());
            }
            room -= n;
            return n;
        }

        String text() {
            return written.toString(StandardCharsets.UTF_8);
        }

        @Override public int read(ByteBuffer dst) { throw new UnsupportedOperationException(); }
        @Override public long read(ByteBuffer[] dsts, int offset, int length) { throw new UnsupportedOperationException(); }
        @Override public long write(ByteBuffer[] srcs, int offset, int length) { throw new UnsupportedOperationException(); }
        @Override public long position() { return written.size(); }
        @Override public FileChannel position(long newPosition) { throw new UnsupportedOperationException(); }
        @Override public long size() { return written.size(); }
        @Override public FileChannel truncate(long size) { throw new UnsupportedOperationException(); }
        @Override public void force(boolean metaData) { }
        @Override public long transferTo(long position, long count, WritableByteChannel target) { throw new UnsupportedOperationException(); }
        @Override public long transferFrom(ReadableByteChannel src, long position, long count) { throw new UnsupportedOperationException(); }
        @Override public int read(ByteBuffer dst, long position) { throw new UnsupportedOperationException(); }
        @Override public int write(ByteBuffer src, long position) { throw new UnsupportedOperationException(); }
        @Override public MappedByteBuffer map(MapMode mode, long position, long size) { throw new UnsupportedOperationException(); }
        @Override public FileLock lock(long position, long size, boolean shared) { throw new UnsupportedOperationException(); }
        @Override public FileLock tryLock(long position, long size, boolean shared) { throw new UnsupportedOperationException(); }
        @Override protected void implCloseChannel() { }
    }

    /**
     * A file whose writing thread is interrupted after {@code before} bytes of a write reached it: the JDK's
     * channel moves the buffer's position by what it wrote, closes, and reports the interrupt.
     */
    private static final class InterruptedWrite extends FillingDisk {
        int before;

        InterruptedWrite(int before) {
            super(Integer.MAX_VALUE);
            this.before = before;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = Math.min(before, src.remaining());
            for (int i = 0; i < n; i++) {
                written.write(src.get());
            }
            before -= n;
            if (before == 0) { // also when all of it was written: the interrupt is reported after the write
                throw new java.nio.channels.ClosedByInterruptException();
            }
            return n;
        }
    }

    @Test
    void aWriteCutByAnInterruptHandsBackExactlyWhatDidNotReachTheFile() throws Exception {
        for (int before : new int[] {0, 9, 20, 21}) { // none, part, all but the line break, all
            InterruptedWrite cut = new InterruptedWrite(before);
            PrivateAppendFile file = new PrivateAppendFile(cut, null, false);
            PrivateAppendFile.Interrupted interrupted = assertThrows(PrivateAppendFile.Interrupted.class,
                    () -> file.write(line("{\"operation\":\"load\"}")));
            FillingDisk reopened = new FillingDisk(1000);
            // opened again, the file ends inside the line (lineCut): the rest completes it, no break ahead
            new PrivateAppendFile(reopened, null, before > 0).writeRest(interrupted.rest());
            assertEquals("{\"operation\":\"load\"}\n", cut.text() + reopened.text(), "cut after " + before);
        }
    }

    /**
     * A line cut in its middle, its file then replaced (logrotate) before the file at the path was opened
     * again: the new file gets the line whole, not its rest, which would have begun that file with the end
     * of a line whose start is in the old one (no whole copy of the record anywhere). The same file opened
     * again gets the rest, as before.
     */
    @Test
    void aLineCutInItsMiddleIsWrittenWholeToAFileThatReplacedItsOwnAndCompletedInItsOwn() throws Exception {
        byte[] line = line("{\"operation\":\"load\"}");
        InterruptedWrite cut = new InterruptedWrite(9);
        PrivateAppendFile file = new PrivateAppendFile(cut, "inode 1", false);
        PrivateAppendFile.Interrupted interrupted = assertThrows(PrivateAppendFile.Interrupted.class,
                () -> file.write(line));
        FillingDisk replaced = new FillingDisk(1000);
        new PrivateAppendFile(replaced, "inode 2", false).resume(interrupted, line);
        assertEquals("{\"operation\":\"load\"}\n", replaced.text(), "the file that replaced it");
        FillingDisk same = new FillingDisk(1000);
        new PrivateAppendFile(same, "inode 1", true).resume(interrupted, line);
        assertEquals("{\"operation\":\"load\"}\n", cut.text() + same.text(), "the file opened again");
    }

    @Test
    void aWriteCutByAnInterruptAfterAMendingLineBreakKeepsItsRestWhole() throws Exception {
        FillingDisk disk = new FillingDisk(3);
        PrivateAppendFile file = new PrivateAppendFile(disk, null, false);
        assertThrows(PrivateAppendFile.Problem.class, () -> file.write(line("abcdef")));
        InterruptedWrite cut = new InterruptedWrite(0); // the next line, its mending break first, not begun
        PrivateAppendFile again = new PrivateAppendFile(cut, null, true);
        PrivateAppendFile.Interrupted interrupted = assertThrows(PrivateAppendFile.Interrupted.class,
                () -> again.write(line("next")));
        FillingDisk reopened = new FillingDisk(1000);
        new PrivateAppendFile(reopened, null, true).writeRest(interrupted.rest());
        assertEquals("abc" + "\nnext\n", disk.text() + cut.text() + reopened.text());
    }

    private static byte[] line(String s) {
        return (s + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aLineCutByAFullDiskIsEndedBeforeTheNextLineSoEveryOtherLineStaysWhole() throws Exception {
        FillingDisk disk = new FillingDisk(30);
        PrivateAppendFile file = new PrivateAppendFile(disk, null, false);
        file.write(line("{\"operation\":\"load\"}"));
        PrivateAppendFile.Problem full = assertThrows(PrivateAppendFile.Problem.class,
                () -> file.write(line("{\"operation\":\"enable\"}")));
        assertEquals("No space left on device", full.getMessage());
        assertThrows(PrivateAppendFile.Problem.class, () -> file.write(line("{\"operation\":\"lost\"}")));

        disk.room = 1000; // space again
        file.write(line("{\"operation\":\"disable\"}"));
        file.write(line("{\"operation\":\"unregister\"}"));
        assertEquals("{\"operation\":\"load\"}\n{\"operati\n{\"operation\":\"disable\"}\n"
                + "{\"operation\":\"unregister\"}\n", disk.text());
    }

    @Test
    void aFileOpenedAgainAfterALineWasCutEndsThatLineFirst(@TempDir Path dir) throws Exception {
        // AuditFile opens the file again after every failed write, and a JVM may have died mid-line.
        Path audit = dir.resolve("audit.log");
        Files.writeString(audit, "{\"operation\":\"load\"}\n{\"operati");
        Files.setPosixFilePermissions(audit, PosixFilePermissions.fromString("rw-------"));
        try (PrivateAppendFile file = PrivateAppendFile.open(audit)) {
            file.write(line("{\"operation\":\"enable\"}"));
        }
        try (PrivateAppendFile file = PrivateAppendFile.open(audit)) {
            file.write(line("{\"operation\":\"disable\"}"));
        }
        assertEquals("{\"operation\":\"load\"}\n{\"operati\n{\"operation\":\"enable\"}\n{\"operation\":\"disable\"}\n",
                Files.readString(audit));
    }

    @Test
    void aWriteCutRightAfterItsLineBreakLeavesNothingToMend() throws Exception {
        FillingDisk disk = new FillingDisk(0);
        PrivateAppendFile file = new PrivateAppendFile(disk, null, false);
        disk.room = 5;
        assertThrows(PrivateAppendFile.Problem.class, () -> file.write(line("abcdefgh")));
        disk.room = 1; // the mending line break alone fits
        assertThrows(PrivateAppendFile.Problem.class, () -> file.write(line("next")));
        disk.room = 1000;
        file.write(line("whole"));
        assertEquals("abcde\nwhole\n", disk.text());
    }
}
