package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.BoundedOpen;
import io.jlivepatch.internal.Sha256;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A patch JAR's content, read once: every check (its SHA-256, its signature, its classes) and the
 * load itself use these bytes, never the file again, so that replacing the file while it is loaded
 * changes nothing (the path is read once, here, or never, when the command sends the content).
 *
 * @param source where it came from, for messages and provenance: a path, or what the sender named
 * @param bytes  the JAR's bytes; not copied, never modified
 * @param sha256 their SHA-256, lowercase hex
 */
public record PatchJarBytes(String source, byte[] bytes, String sha256) {

    /** Run between the checks of a path and its open, when set: tests put a pipe in the file's place there. */
    private static volatile Consumer<Path> beforeOpen;

    /** Tests: {@code hook} runs with the path between its checks and its open; {@code null} for none. */
    public static void beforeOpenForTests(Consumer<Path> hook) {
        beforeOpen = hook;
    }

    /** Run once the content received whole has its digest, when set: tests change the sender's array there. */
    private static volatile Runnable afterDigest;

    /** Tests: {@code hook} runs as soon as {@link #of} has the content's SHA-256; {@code null} for none. */
    public static void afterDigestForTests(Runnable hook) {
        afterDigest = hook;
    }

    /** Tests: how long the open of a path may take ({@link BoundedOpen}); {@code null} for the default. */
    public static void openWaitForTests(Duration wait) {
        BoundedOpen.waitForTests(wait);
    }

    /** Reads {@code path} whole under {@code limits}' file size: the file may grow while it is read. */
    public static PatchJarBytes read(Path path, JarLimits limits) throws PatchException {
        return read(path, path.toString(), limits);
    }

    /**
     * {@link #read(Path, JarLimits)} of a file that people know by another path ({@code source}):
     * a watched Kubernetes volume is read through its {@code ..data} directory, named by its own path.
     */
    /**
     * The refusal of a JAR whose read failed with {@code e}. An interrupt of the calling thread (the
     * JDK's channels close and throw ClosedByInterruptException) is no fault of the JAR nor of its path:
     * said as such, BUSY (retry), as a wait for jlivepatch's lock an interrupt ends is; it was refused as
     * "cannot be read (it is malformed): check the path and its permissions".
     */
    private static PatchException unreadable(String source, IOException e) {
        if (e instanceof java.nio.channels.ClosedByInterruptException) {
            return new PatchException(PatchException.Reason.BUSY, null, PatchJar.about(source) + ": not read: the"
                    + " calling thread was interrupted (its interrupt status is kept); nothing was changed: load it"
                    + " again", e);
        }
        return PatchJar.invalid(source, "cannot be read (" + Failures.describe(e) + "): check the path and its"
                + " permissions", e);
    }

    public static PatchJarBytes read(Path path, String source, JarLimits limits) throws PatchException {
        if (!Files.isRegularFile(path)) {
            // What is there, when something is: "no such file" sent the operator looking for a file
            // they could see (a directory, a pipe), which is never opened (a pipe's read may never return).
            if (Files.isDirectory(path)) {
                throw PatchJar.invalid(source, "is a directory, not a file: give the path of a patch JAR");
            }
            if (Files.exists(path)) {
                throw PatchJar.invalid(source, "is not a regular file (a pipe, a device or a socket): it is not read;"
                        + " give the path of a patch JAR");
            }
            throw PatchJar.invalid(source, "no such file: give the path of a patch JAR");
        }
        long max = limits.maxJarBytes();
        try {
            long size = Files.size(path);
            if (size > max) { // refused before a byte is read; the read below is capped all the same
                throw limits.exceeded(source, JarLimits.MAX_JAR_BYTES, "the file has " + size + " bytes");
            }
            // Never opened: a read of an empty file gains nothing, and the kernel's files under /proc
            // say they are empty, where a read may not return (/proc/kmsg waits for the kernel's next
            // message), which would stop premain or the watch thread for good. Told by the size, not
            // by the real path: a target's files reached through /proc/<pid>/root are ordinary ones.
            if (size == 0) {
                throw PatchJar.invalid(source, "is empty (0 bytes, as every file of the kernel's /proc says it is):"
                        + " it is not read; give a patch JAR");
            }
        } catch (IOException e) {
            throw unreadable(source, e);
        }
        Consumer<Path> hook = beforeOpen;
        if (hook != null) {
            hook.accept(path);
        }
        // The checks above were of the path, and what it names may be replaced before the open: by a
        // pipe, whose open waits for a writer and whose read waits for data, for ever maybe. The open
        // waits a bounded time (BoundedOpen), and what was opened is checked itself (fstat) before a
        // byte is read.
        FileChannel channel;
        try {
            channel = BoundedOpen.open(path, Set.of(StandardOpenOption.READ));
        } catch (BoundedOpen.StillBlocked e) {
            throw PatchJar.invalid(source, "is not opened: " + e.getMessage(), e);
        } catch (IOException e) {
            throw unreadable(source, e);
        }
        if (channel == null) {
            throw PatchJar.invalid(source, "could not be opened within " + BoundedOpen.describe(BoundedOpen.waitTime())
                    + ", though it was a regular file when checked: something else is there now (a pipe, whose open"
                    + " waits for a writer; a device), or its file system does not answer; nothing was read: put a"
                    + " patch JAR (a regular file) there and load it again");
        }
        try (channel; InputStream in = Channels.newInputStream(channel)) {
            // The size of what was opened, not of what the path names: a pipe and a device say 0, as
            // the kernel's /proc files do, and are never read (a read of them may never return).
            if (channel.size() == 0) {
                throw PatchJar.invalid(source, "was replaced after it was checked: what was opened is empty or not"
                        + " a regular file (a pipe or a device put in its place, or the file emptied); it is not"
                        + " read; put a patch JAR (a regular file) there and load it again");
            }
            byte[] buf = new byte[(int) Math.min(64 * 1024, max + 1)];
            int len = 0;
            while (true) {
                if (len == buf.length) {
                    if (len > max) {
                        break;
                    }
                    buf = Arrays.copyOf(buf, (int) Math.min(Math.min((long) len * 2, max + 1), Integer.MAX_VALUE - 8));
                }
                int n = in.read(buf, len, buf.length - len);
                if (n < 0) {
                    break;
                }
                len += n;
            }
            if (len > max) {
                throw limits.exceeded(source, JarLimits.MAX_JAR_BYTES, "the file grew to more than " + max
                        + " bytes while it was read");
            }
            return of(source, len == buf.length ? buf : Arrays.copyOf(buf, len), limits);
        } catch (IOException e) {
            throw unreadable(source, e);
        } catch (OutOfMemoryError e) {
            throw PatchJar.invalid(source, "jlivepatch ran out of memory reading it; nothing was loaded and the"
                    + " application runs on: lower " + JarLimits.MAX_JAR_BYTES + " or give the JVM more heap");
        }
    }

    /** Content received whole (from the command): checked against the same file size limit. */
    public static PatchJarBytes of(String source, byte[] bytes, JarLimits limits) throws PatchException {
        if (bytes == null || bytes.length == 0) {
            throw PatchJar.invalid(source, "is empty: give a patch JAR");
        }
        if (bytes.length > limits.maxJarBytes()) {
            throw limits.exceeded(source, JarLimits.MAX_JAR_BYTES, "the file has " + bytes.length + " bytes");
        }
        String sha256 = Sha256.hex(bytes);
        Runnable hook = afterDigest;
        if (hook != null) {
            hook.run();
        }
        return new PatchJarBytes(source, bytes, sha256);
    }

    @Override
    public String toString() {
        return "PatchJarBytes[" + source + ", " + bytes.length + " bytes, sha256 " + sha256 + "]";
    }
}
