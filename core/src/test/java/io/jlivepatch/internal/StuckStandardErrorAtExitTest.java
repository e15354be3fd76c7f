package io.jlivepatch.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A line logged while the JVM shuts down ({@link Log#atExit()}: the audit file's drain, what it lacks, the link
 * audit's and the control socket's last words) does not hold the exit when standard error takes nothing (a pipe
 * whose reader stopped): it printed in the shutdown hook itself, which then never returned, and the JVM never
 * exited. The bound is a second; the test allows thirty, so only a print that waits for the stream decides it.
 */
class StuckStandardErrorAtExitTest {

    private final PrintStream before = System.err;

    @AfterEach
    void restore() {
        System.setErr(before);
        StandardErrorLogger.forgetStuckAtExitForTests();
    }

    @Test
    void aLineAtExitDoesNotWaitForAStandardErrorThatTakesNothing() throws Exception {
        CountDownLatch taken = new CountDownLatch(1);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                try {
                    taken.await(); // a full pipe: nothing goes until the reader comes back
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                synchronized (got) {
                    got.write(b, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8));
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Log.atExit().log(System.Logger.Level.WARNING, "audit: the first line at exit");
            Log.atExit().log(System.Logger.Level.WARNING, "audit: the second line at exit");
        }, "a line at the JVM's exit waited for a standard error that takes nothing");
        taken.countDown(); // the reader is back: the lines handed over are still printed
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String text = "";
        while (System.nanoTime() < deadline && !(text.contains("the first line") && text.contains("the second line"))) {
            Thread.sleep(10);
            synchronized (got) {
                text = got.toString(StandardCharsets.UTF_8);
            }
        }
        assertTrue(text.contains("WARNING: audit: the first line at exit"), text);
        assertTrue(text.contains("WARNING: audit: the second line at exit"), text);
    }

    /**
     * Under a SecurityManager (JDK 17 to 23) the printer is made with jlivepatch's permissions: a line logged by a
     * thread of the system group in a context without them (a JMX client's call, an application's shutdown hook)
     * could not make it (modifyThreadGroup), and was printed on the caller's thread, which then waited for good.
     */
    @Test
    void aLineAtExitDoesNotWaitForAStuckStandardErrorUnderASecurityManager(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() < 24,
                "no SecurityManager from JDK 24 on");
        io.jlivepatch.ChildJvm.runOk(StuckStandardErrorAtExitSecurityManagerDriver.class,
                java.util.List.of("-Djava.security.manager=allow"), java.util.List.of(dir.resolve("all.policy")
                        .toString()), 120);
    }
}
