package io.jlivepatch;

import io.jlivepatch.internal.StuckLogHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import testapp.Stacked;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

import static io.jlivepatch.TestSupport.JLIVEPATCH_LOG;
import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The life cycle is logged through System.Logger in the kernel's words. */
class LoggingTest {

    private final List<String> messages = new CopyOnWriteArrayList<>();
    /** Each line's message and the source a formatter prints with it: {@code message <- class.method}. */
    private final List<String> sources = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
            messages.add(record.getLevel() + " " + formatter.formatMessage(record));
            sources.add(formatter.formatMessage(record) + " <- " + record.getSourceClassName() + "."
                    + record.getSourceMethodName());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    public static int two(Stacked s) {
        return 2;
    }

    @BeforeEach
    void listen() {
        JLIVEPATCH_LOG.setLevel(Level.INFO);
        JLIVEPATCH_LOG.setUseParentHandlers(false);
        JLIVEPATCH_LOG.addHandler(handler);
    }

    @AfterEach
    void stopListening() throws PatchException {
        JLIVEPATCH_LOG.removeHandler(handler);
        JLIVEPATCH_LOG.setUseParentHandlers(true);
        JLIVEPATCH_LOG.setLevel(Level.WARNING);
        TestSupport.removeAllPatches();
    }

    private void assertLogged(String text) {
        assertTrue(messages.stream().anyMatch(m -> m.contains(text)), "no log line with \"" + text + "\" in " + messages);
    }

    @Test
    void theLifeCycleIsLoggedInTheKernelsWords() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("log-lp1").replace(method(Stacked.class, "value"),
                method(LoggingTest.class, "two", Stacked.class)).build());
        h.enable();
        h.disable();
        h.unregister();
        assertLogged("INFO enabling patch 'log-lp1'");
        assertLogged("INFO 'log-lp1': patching complete");
        assertLogged("INFO disabling patch 'log-lp1'");
        assertLogged("INFO 'log-lp1': unpatching complete");
    }

    /**
     * SimpleFormatter, the JDK's default, prints each line's source above it. The life cycle's lines
     * were logged through a wrapper of Refusals that caught what the log threw, and named it:
     * "io.jlivepatch.internal.core.Refusals logQuietly" above "'P': patching complete", which reads
     * as a refusal. The logger itself never throws now, and the lines name the registry.
     */
    @Test
    void theLifeCyclesLinesNameTheRegistryAsTheirSource() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("log-source").replace(method(Stacked.class, "value"),
                method(LoggingTest.class, "two", Stacked.class)).build());
        h.enable();
        h.disable();
        h.unregister();
        String registry = "io.jlivepatch.internal.core.PatchRegistry.";
        for (String line : List.of("enabling patch 'log-source'", "'log-source': starting patching transition",
                "'log-source': patching complete", "disabling patch 'log-source'", "'log-source': unpatching complete",
                "'log-source': unregistered")) {
            assertTrue(sources.stream().anyMatch(m -> m.startsWith(line + " <- " + registry)),
                    "\"" + line + "\" with the registry as its source, in " + sources);
        }
        assertTrue(sources.stream().noneMatch(m -> m.contains("Refusals")), sources.toString());
    }

    @Test
    void aRefusalIsLoggedAsAWarningWithItsReason() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("log-refused").replace(method(Stacked.class, "value"),
                method(LoggingTest.class, "two", Stacked.class)).build());
        TestSupport.refusedRegistration(Patch.builder("log-refused").replace(method(Stacked.class, "value"),
                method(LoggingTest.class, "two", Stacked.class)).build());
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("WARNING ") && m.contains("refused (DUPLICATE_NAME)")
                && m.contains("'log-refused'")), "no warning of the refusal in " + messages);
        h.unregister();
    }

    @Test
    void anOutputThatTakesNoLinesHoldsNoOperationAndGetsEveryLineLater() throws Exception {
        StuckLogHandler stuck = new StuckLogHandler(); // a standard error nobody reads: the first line never returns
        JLIVEPATCH_LOG.removeHandler(handler);
        JLIVEPATCH_LOG.addHandler(stuck); // before the listening handler: it sees nothing while stuck
        JLIVEPATCH_LOG.addHandler(handler);
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                PatchHandle h = livepatch().register(Patch.builder("log-stuck").replace(method(Stacked.class, "value"),
                        method(LoggingTest.class, "two", Stacked.class)).build());
                h.enable();
                assertTrue(h.isEnabled());
                assertTrue(livepatch().patches().contains(h));
                h.disable();
                h.unregister();
            }, "an operation waited for a log output that takes no lines");
            assertTrue(stuck.inside.getCount() == 0 && messages.isEmpty(), "the output really was stuck: " + messages);
        } finally {
            stuck.release.countDown();
            JLIVEPATCH_LOG.removeHandler(stuck);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (messages.stream().noneMatch(m -> m.contains("'log-stuck': unpatching complete"))
                && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        List<String> order = List.of("INFO enabling patch 'log-stuck'", "INFO 'log-stuck': starting patching transition",
                "INFO 'log-stuck': patching complete", "INFO disabling patch 'log-stuck'",
                "INFO 'log-stuck': unpatching complete");
        int at = -1;
        for (String line : order) {
            int i = -1;
            for (int k = at + 1; k < messages.size(); k++) {
                if (messages.get(k).contains(line)) {
                    i = k;
                    break;
                }
            }
            assertTrue(i > at, "\"" + line + "\" after the lines before it, in " + messages);
            at = i;
        }
    }
}
