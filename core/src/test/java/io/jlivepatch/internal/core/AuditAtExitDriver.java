package io.jlivepatch.internal.core;

import io.jlivepatch.internal.ClosedAtExit;

import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * Makes {@code args[0]} this JVM's audit file as {@link AuditFile#configure} does, but with its
 * writer held back until the JVM's exit has begun ({@link ClosedAtExit#exiting}), or for good with
 * {@code args[2]} {@code never}; records {@code args[1]} operations from an interrupted thread (which
 * does not wait for its lines) and exits at once: AuditAtExitTest reads the file and the output.
 * Holding the writer makes the loss certain where the exit does not wait for the queue, instead of
 * a race between the writer and the JVM's end. With {@code args[2]} {@code late}, the writer never
 * runs either, and one more record is made by a shutdown hook of the driver's own once the audit
 * file's drain at the exit has run (hooks run together): a line no drain waits for.
 */
public final class AuditAtExitDriver {

    private AuditAtExitDriver() {
    }

    public static void main(String[] args) {
        boolean late = args.length > 2 && args[2].equals("late");
        boolean never = late || args.length > 2 && args[2].equals("never");
        // As in a JVM with jlivepatch, java.util.logging is up before the exit (and its reset hook with it).
        io.jlivepatch.internal.Log.get().log(System.Logger.Level.INFO, "audit at exit: driver started");
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
        if (!never) {
            release.start();
        }
        int records = Integer.parseInt(args[1]);
        AuditLog log = new AuditLog();
        if (late) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                while (!f.drainedAtExit()) {
                    LockSupport.parkNanos(1_000_000); // polls, as above
                }
                log.record("disable", "after-drain", "ok", "api", null);
            }, "record-after-drain"));
        }
        System.out.println("RESULT ok");
        Thread.currentThread().interrupt();
        for (int i = 0; i < records; i++) {
            log.record("enable", "at-exit-" + i, "ok", "api", null);
        }
        System.exit(0);
    }
}
