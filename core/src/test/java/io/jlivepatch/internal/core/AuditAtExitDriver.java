package io.jlivepatch.internal.core;

import io.jlivepatch.internal.ClosedAtExit;

import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * Makes {@code args[0]} this JVM's audit file as {@link AuditFile#configure} does, but with its
 * writer held back until the JVM's exit has begun ({@link ClosedAtExit#exiting}), records
 * {@code args[1]} operations from an interrupted thread (which does not wait for its lines) and
 * exits at once: AuditAtExitTest reads the file. Holding the writer makes the loss certain where the
 * exit does not wait for the queue, instead of a race between the writer and the JVM's end.
 */
public final class AuditAtExitDriver {

    private AuditAtExitDriver() {
    }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        AuditFile f = AuditFile.unstarted(file, file.toString());
        synchronized (AuditFile.class) {
            AuditFile.use(f);
        }
        Thread release = new Thread(() -> {
            while (!ClosedAtExit.exiting()) {
                LockSupport.parkNanos(1_000_000); // polls: the hook gives no other sign
            }
            f.startWriter();
        }, "release-writer-at-exit");
        release.setDaemon(true);
        release.start();
        int records = Integer.parseInt(args[1]);
        AuditLog log = new AuditLog();
        System.out.println("RESULT ok");
        Thread.currentThread().interrupt();
        for (int i = 0; i < records; i++) {
            log.record("enable", "at-exit-" + i, "ok", "api", null);
        }
        System.exit(0);
    }
}
