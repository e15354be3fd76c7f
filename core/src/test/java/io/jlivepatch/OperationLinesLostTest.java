package io.jlivepatch;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.core.AuditLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.Stacked;

import java.time.Duration;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static io.jlivepatch.TestSupport.JLIVEPATCH_LOG;
import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A log line of an operation that cannot be made (no memory for it: the logger's making, its arguments)
 * or published (a handler that throws) is lost; the operation's outcome is as without it. Before, the
 * {@code 'P': registered} and {@code enabling patch 'P'} lines' failure refused a load (its registration
 * undone), the {@code enabling} line's an enable, the {@code disabling} line's a disable, and a failing
 * preUnpatch's WARNING cut a disable short after its preUnpatch had run: refused, the patch still enabled.
 */
class OperationLinesLostTest {

    public static int two(Stacked s) {
        return 2;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        Log.failGetOnThisThreadForTests(0, null);
        TestSupport.removeAllPatches();
    }

    private static Patch patch(String name) {
        return Patch.builder(name).replace(method(Stacked.class, "value"), method(OperationLinesLostTest.class, "two",
                Stacked.class)).build();
    }

    private static List<String> records(String name) {
        return RegistryAccess.get().audit().entries().stream().map(AuditLog.Entry::toString)
                .filter(l -> l.contains(" " + name + " by ")).toList();
    }

    @Test
    void aLoadWhoseRegisteredLineFindsNoMemoryLoadsAllTheSame() throws Exception {
        Log.failGetOnThisThreadForTests(1, new OutOfMemoryError("injected: the registered line"));
        PatchHandle h = RegistryAccess.get().registerAndEnable(patch("lost-registered"));
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)) && h.isEnabled(), "enabled");
        assertEquals(2, new Stacked().value());
        assertTrue(records("lost-registered").stream().noneMatch(r -> r.contains("refused")), records("lost-registered").toString());
    }

    @Test
    void aLoadWhoseEnablingLineFindsNoMemoryLoadsAllTheSame() throws Exception {
        Log.failGetOnThisThreadForTests(2, new OutOfMemoryError("injected: the enabling line"));
        PatchHandle h = RegistryAccess.get().registerAndEnable(patch("lost-load-enabling"));
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)) && h.isEnabled(), "enabled");
        assertTrue(records("lost-load-enabling").stream().noneMatch(r -> r.contains("refused")),
                records("lost-load-enabling").toString());
    }

    @Test
    void anEnableAndADisableWhoseLinesFindNoMemoryTakeEffect() throws Exception {
        PatchHandle h = livepatch().register(patch("lost-enabling"));
        Log.failGetOnThisThreadForTests(1, new OutOfMemoryError("injected: the enabling line"));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)) && h.isEnabled(), "enabled");
        Log.failGetOnThisThreadForTests(1, new OutOfMemoryError("injected: the disabling line"));
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)) && !h.isEnabled(), "disabled");
        assertEquals(1, new Stacked().value());
    }

    /** The second line of the disable: its preUnpatch's failure, after "disabling patch 'P'". */
    @Test
    void aDisableWhoseFailingCallbacksLineFindsNoMemoryTakesEffect() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("lost-callback-line")
                .replace(method(Stacked.class, "value"), method(OperationLinesLostTest.class, "two", Stacked.class))
                .callbacks(Stacked.class.getName(), new Callbacks() {
                    @Override
                    public void preUnpatch(Class<?> target) {
                        throw new IllegalStateException("injected: preUnpatch");
                    }
                }).build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        Log.failGetOnThisThreadForTests(2, new OutOfMemoryError("injected: the callback's line"));
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)) && !h.isEnabled(), "disabled");
        List<String> records = records("lost-callback-line");
        assertTrue(records.stream().anyMatch(r -> r.contains("failed preUnpatch of " + Stacked.class.getName())),
                records.toString());
        assertTrue(records.stream().anyMatch(r -> r.contains(" disable lost-callback-line by api: ok")), records.toString());
    }

    /**
     * An unregister whose "unregistered" line finds no memory: its audit record, and the release of its classes,
     * as with the line. Before, the line shared a try with them: a lost line lost the record too.
     */
    @Test
    void anUnregisterWhoseLineFindsNoMemoryIsOnRecord() throws Exception {
        PatchHandle h = livepatch().register(patch("lost-unregistered"));
        Log.failGetOnThisThreadForTests(1, new OutOfMemoryError("injected: the unregistered line"));
        h.unregister();
        assertTrue(livepatch().find("lost-unregistered").isEmpty());
        List<String> records = records("lost-unregistered");
        assertTrue(records.stream().anyMatch(r -> r.contains(" unregister lost-unregistered by api: ok")),
                records.toString());
    }

    /** A handler (the application's code) that throws at every line: every operation as without it. */
    @Test
    void aHandlerThatThrowsAtEveryLineChangesNoOperation() throws Exception {
        Handler throwing = new Handler() {
            @Override
            public void publish(LogRecord record) {
                throw new IllegalStateException("injected: a handler's failure");
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        JLIVEPATCH_LOG.setLevel(Level.INFO);
        JLIVEPATCH_LOG.addHandler(throwing);
        try {
            PatchHandle h = RegistryAccess.get().registerAndEnable(patch("lost-handler"));
            assertTrue(h.awaitTransition(Duration.ofSeconds(30)) && h.isEnabled(), "enabled");
            h.disable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
            assertFalse(h.isEnabled());
            h.unregister();
            assertTrue(livepatch().find("lost-handler").isEmpty());
        } finally {
            JLIVEPATCH_LOG.removeHandler(throwing);
            JLIVEPATCH_LOG.setLevel(Level.WARNING);
        }
    }
}
