package io.jlivepatch.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Named pipes for the tests of a pipe put in a file's place: shared by the packages whose reads and writes meet one. */
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
}
