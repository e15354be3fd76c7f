package io.jlivepatch.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Named pipes for the tests of a pipe put in a file's place, and of the threads that open them
 * ({@link BoundedOpen}): shared by the packages whose reads and writes meet one.
 */
public final class Fifos {

    /** A hang detector: far above what anything here takes when it returns at all. */
    public static final Duration HANG = Duration.ofSeconds(30);

    private Fifos() {
    }

    /** Makes a named pipe at {@code path}; where {@code mkfifo} cannot, the test is skipped. */
    public static Path make(Path path) throws InterruptedException {
        Process mkfifo;
        try {
            mkfifo = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
        } catch (IOException absent) {
            mkfifo = null;
        }
        assumeTrue(mkfifo != null && mkfifo.waitFor() == 0 && Files.exists(path, LinkOption.NOFOLLOW_LINKS),
                "mkfifo makes a named pipe");
        return path;
    }

    /** The threads opening a file ({@link BoundedOpen}) that are alive; of {@code path} only, unless null. */
    public static int openers(Path path) {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String name = t.getName();
            if (t.isAlive() && (path == null ? name.startsWith(BoundedOpen.THREAD_NAME)
                    : name.equals(BoundedOpen.THREAD_NAME + " " + path))) {
                n++;
            }
        }
        return n;
    }

    /** Waits until no thread opening a file is alive (a hang detector, not a timing). */
    public static void awaitNoOpener() {
        assertTimeoutPreemptively(HANG, () -> {
            while (openers(null) > 0) {
                Thread.sleep(10);
            }
        });
    }

    /**
     * Releases every open waiting on {@code fifo}, wherever it is reached from (a link, a name it was
     * moved from): opened read-write, its two ends, and held until no opening thread is left.
     */
    public static void release(Path fifo) throws IOException {
        try (FileChannel ignored = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            awaitNoOpener();
        }
    }
}
