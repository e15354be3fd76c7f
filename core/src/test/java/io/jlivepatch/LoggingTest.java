package io.jlivepatch;

import io.jlivepatch.internal.StuckLogHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import testapp.Stacked;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

import static io.jlivepatch.TestSupport.JLIVEPATCH_LOG;
import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The life cycle is logged through System.Logger in the kernel's words. */
class LoggingTest {

    @TempDir
    Path dir;

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
        assertInOrder(List.of("INFO enabling patch 'log-stuck'", "INFO 'log-stuck': starting patching transition",
                "INFO 'log-stuck': patching complete", "INFO disabling patch 'log-stuck'",
                "INFO 'log-stuck': unpatching complete"));
    }

    /**
     * A load (register and enable as one operation) logs in the kernel's order: the registration, then
     * the enable. Its registration is committed with the enable, and was announced there: the log read
     * {@code enabling patch 'P'} above {@code 'P': registered, ...}, a patch enabled before it existed.
     */
    @Test
    void aLoadLogsItsRegistrationBeforeItsEnable() throws Exception {
        PatchHandle h = RegistryAccess.get().registerAndEnable(Patch.builder("log-load")
                .replace(method(Stacked.class, "value"), method(LoggingTest.class, "two", Stacked.class)).build());
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        awaitLine("INFO 'log-load': patching complete");
        assertInOrder(List.of("INFO 'log-load': registered, 1 function(s), stack order 1", "INFO enabling patch 'log-load'",
                "INFO 'log-load': starting patching transition", "INFO 'log-load': patching complete"));
        assertEquals(1, count("'log-load': registered"), messages.toString());
    }

    /** A JAR's load through JMX ({@code loadAndEnable}: the command's too) logs in the same order. */
    @Test
    void aJarsLoadLogsItsRegistrationBeforeItsEnable() throws Exception {
        Path jar = counterJar("log-jar-load");
        assertEquals("log-jar-load", Mbeans.load(jar.toString(), true));
        assertTrue(livepatch().find("log-jar-load").orElseThrow().awaitTransition(Duration.ofSeconds(30)));
        awaitLine("INFO 'log-jar-load': patching complete");
        assertInOrder(List.of("INFO 'log-jar-load': registered, 2 function(s), stack order 1",
                "INFO enabling patch 'log-jar-load'", "INFO 'log-jar-load': starting patching transition",
                "INFO 'log-jar-load': patching complete"));
    }

    /**
     * A load whose enable fails once it began (a prePatch that throws) logged its registration first: the
     * line that follows says it was undone, before the refusal, so that the log claims no patch that the
     * stack does not hold.
     */
    @Test
    void aLoadWhoseEnableFailsSaysItsRegistrationWasUndone() throws Exception {
        Patch patch = Patch.builder("log-load-fails")
                .replace(method(Stacked.class, "value"), method(LoggingTest.class, "two", Stacked.class))
                .callbacks(Stacked.class.getName(), new Callbacks() {
                    @Override
                    public void prePatch(Class<?> target) {
                        throw new IllegalStateException("no warm-up");
                    }
                }).build();
        PatchException e = assertThrows(PatchException.class, () -> RegistryAccess.get().registerAndEnable(patch));
        assertEquals(PatchException.Reason.CALLBACK_FAILED, e.reason());
        assertTrue(livepatch().find("log-load-fails").isEmpty(), "nothing registered");
        assertInOrder(List.of("INFO 'log-load-fails': registered, 1 function(s), stack order 1",
                "INFO enabling patch 'log-load-fails'", "INFO 'log-load-fails': enable failed, registration undone",
                "WARNING load refused (CALLBACK_FAILED)"));
        assertTrue(messages.stream().noneMatch(m -> m.contains("'log-load-fails': starting patching transition")),
                messages.toString());
    }

    /** A load refused before its enable began (a disabled patch below it) logs no registration, nor its undoing. */
    @Test
    void aLoadRefusedBeforeItsEnableBeganLogsNoRegistration() throws Exception {
        PatchHandle below = livepatch().register(Patch.builder("log-below")
                .replace(method(Stacked.class, "value"), method(LoggingTest.class, "two", Stacked.class)).build());
        PatchException e = assertThrows(PatchException.class, () -> RegistryAccess.get().registerAndEnable(
                Patch.builder("log-above").replace(method(Stacked.class, "value"),
                        method(LoggingTest.class, "two", Stacked.class)).build()));
        assertEquals(PatchException.Reason.ORDER_VIOLATION, e.reason());
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("WARNING load refused (ORDER_VIOLATION)")
                && m.contains("'log-above'")), messages.toString());
        for (String line : List.of("'log-above': registered", "enabling patch 'log-above'", "'log-above': enable failed")) {
            assertEquals(0, count(line), messages.toString());
        }
        below.unregister();
    }

    private long count(String text) {
        return messages.stream().filter(m -> m.contains(text)).count();
    }

    /** Waits (bounded) until {@code line} was logged: the end of a transition may be logged by the worker. */
    private void awaitLine(String line) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (messages.stream().noneMatch(m -> m.contains(line)) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /** Each of {@code order} logged, each after the one before it. */
    private void assertInOrder(List<String> order) {
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

    /** A patch JAR of jarapp.fix.CounterFix (two functions) named {@code name}. */
    private Path counterJar(String name) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", name);
        m.getMainAttributes().putValue("Livepatch-Class", "jarapp.fix.CounterFix");
        Path jar = dir.resolve(name + ".jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, m)) {
            jos.putNextEntry(new JarEntry("jarapp/fix/CounterFix.class"));
            jos.write(TestSupport.classFile("jarapp.fix.CounterFix"));
            jos.closeEntry();
        }
        return jar;
    }
}
