package io.jlivepatch;

import faultapp.Target;
import io.jlivepatch.internal.core.AuditLog;

import java.time.Duration;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Run in a fresh JVM by {@link LogHandlerErrorTest}: a log handler (the application's code) that
 * throws an Error that is neither a LinkageError nor a VirtualMachineError, here an AssertionError,
 * from every line of jlivepatch's. Its first throw ends jlivepatch's log publisher, after which the
 * lines are published on the thread that logs them, as with any System.Logger back-end other than
 * java.util.logging; so the lines a register and an enable log after their commits meet the Error there
 * (which jlivepatch's logger catches: none reaches the operation).
 * Before, the Error left the operation past its commit: the patch registered with no record at all
 * (the register threw), or enabled and in transition with no record and its postUnpatch callbacks
 * run as if refused. Prints {@code RESULT ok} when both operations return and are on record.
 */
public final class LogHandlerErrorDriver {

    /** The thread the handler last ran on. */
    private static volatile Thread publishedOn;

    private LogHandlerErrorDriver() {
    }

    public static int two(Target t) {
        return 2;
    }

    public static void main(String[] args) throws Exception {
        Livepatch lp = TestSupport.livepatch();
        Logger jul = Logger.getLogger("io.jlivepatch");
        jul.setLevel(Level.INFO); // the INFO lines after the commits
        jul.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                publishedOn = Thread.currentThread();
                throw new AssertionError("injected: a log handler's assertion");
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        // Until a line is published on this thread: the publisher thread has ended, and every line is
        // published on the thread that logs it (each line waits for its publication, or for the
        // publisher's end). The handler's Error stops there: the logger never throws (CleanLogger).
        boolean direct = false;
        for (int i = 0; i < 1000 && !direct; i++) {
            io.jlivepatch.internal.Log.get().log(System.Logger.Level.WARNING, "a line for the handler");
            direct = publishedOn == Thread.currentThread();
        }
        if (!direct) {
            throw new IllegalStateException("the handler's Error never reached the logging thread");
        }

        PatchHandle h = lp.register(Patch.builder("log-error").replace(TestSupport.method(Target.class, "value"),
                TestSupport.method(LogHandlerErrorDriver.class, "two", Target.class)).build());
        h.enable();
        if (!h.awaitTransition(Duration.ofSeconds(60)) || !h.isEnabled() || new Target().value() != 2) {
            throw new IllegalStateException("the patch is not enabled: " + h.isEnabled());
        }
        List<String> records = RegistryAccess.get().audit().entries().stream().map(AuditLog.Entry::toString)
                .filter(l -> l.contains(" log-error by ")).toList();
        System.out.println("records: " + records);
        if (records.size() < 3 || !records.get(0).contains(" register log-error by api: ok")
                || !records.get(1).contains(" enable log-error by api: ok")
                || !records.get(2).contains(" transition log-error by ")) {
            throw new IllegalStateException("not on record as done: " + records);
        }
        System.out.println("RESULT ok");
    }
}
