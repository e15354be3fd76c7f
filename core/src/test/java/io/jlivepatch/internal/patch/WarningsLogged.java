package io.jlivepatch.internal.patch;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * What jlivepatch logs at {@code WARNING} and above, as the lines' text (placeholders filled), from
 * {@link #start} to {@link #stop}. Records are published from jlivepatch's log thread, hence the
 * concurrent list.
 */
final class WarningsLogged extends Handler {

    final List<String> lines = new CopyOnWriteArrayList<>();

    void start() {
        Logger.getLogger("io.jlivepatch").addHandler(this);
    }

    void stop() {
        Logger.getLogger("io.jlivepatch").removeHandler(this);
    }

    @Override
    public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
            lines.add(new SimpleFormatter().formatMessage(r));
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
