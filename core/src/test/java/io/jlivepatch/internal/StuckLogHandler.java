package io.jlivepatch.internal;

import java.util.concurrent.CountDownLatch;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

/**
 * A log handler that holds the thread publishing its first line inside it until {@link #release}
 * is counted down: a log output that takes nothing, as a standard error that is a full pipe nobody
 * reads. {@link #inside} is counted down once a line has reached it.
 */
public final class StuckLogHandler extends Handler {

    public final CountDownLatch inside = new CountDownLatch(1);
    public final CountDownLatch release = new CountDownLatch(1);

    @Override
    public void publish(LogRecord r) {
        inside.countDown();
        try {
            release.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
