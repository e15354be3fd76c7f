package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import testapp.Stacked;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.Attributes;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile text (control characters, line separators, bidi overrides, a million characters) in paths,
 * names and descriptions reaches the log, the audit log and the status report cleaned and bounded,
 * while the application's threads keep working.
 */
class CleanTextTest {

    private static final String HOSTILE = "\n2030-01-01T00:00:00Z enable forged: ok\u001b[2J\u0085\u2028\u2029\u202e";
    private static final ObjectName LIVEPATCH = objectName("io.jlivepatch:type=Livepatch");

    @TempDir
    Path dir;

    private final List<String> logged = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
            logged.add(formatter.format(record));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private final AtomicLong calls = new AtomicLong();
    private final AtomicReference<Throwable> workerFailure = new AtomicReference<>();
    private volatile boolean stop;
    private Thread worker;

    public static int two(Stacked s) {
        return 2;
    }

    @BeforeEach
    void start() throws InterruptedException {
        livepatch();
        JLIVEPATCH_LOG.setLevel(Level.INFO);
        JLIVEPATCH_LOG.setUseParentHandlers(false);
        JLIVEPATCH_LOG.addHandler(handler);
        worker = new Thread(() -> {
            Stacked s = new Stacked();
            try {
                while (!stop) {
                    if (s.value() < 1) {
                        throw new AssertionError("value() < 1");
                    }
                    calls.incrementAndGet();
                }
            } catch (Throwable t) {
                workerFailure.set(t);
            }
        }, "application-worker");
        worker.start();
        awaitProgressFrom(0);
    }

    /** Waits until the application's thread has made a call more than {@code count}; a hang detector, no measure. */
    private void awaitProgressFrom(long count) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (calls.get() <= count && workerFailure.get() == null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the application's thread made no call in 60 s");
            }
            Thread.sleep(1);
        }
    }

    @AfterEach
    void stop() throws Exception {
        awaitProgressFrom(calls.get());
        stop = true;
        worker.join(60_000);
        JLIVEPATCH_LOG.removeHandler(handler);
        JLIVEPATCH_LOG.setUseParentHandlers(true);
        JLIVEPATCH_LOG.setLevel(Level.WARNING);
        TestSupport.removeAllPatches();
        assertNull(workerFailure.get(), "the application's thread failed");
    }

    @Test
    void aPathWithControlCharactersCannotForgeALogLineOrAnAuditEntry() throws Exception {
        Path jar = dir.resolve("fix" + HOSTILE + ".jar");
        assertThrows(PatchException.class, () -> livepatch().load(jar));
        String line = logged.stream().filter(l -> l.contains("load refused")).findFirst().orElseThrow(
                () -> new AssertionError("no refusal logged in " + logged));
        assertEquals(2, line.split("\n", -1).length - 1, "the header line and the message line only: " + line);
        // The refusal names the path escaped (PatchJar.about), and the log escapes the message once more
        // as it writes it: the escapes' backslashes show doubled, as a JAR's own values do (README "Clean text").
        assertTrue(line.contains("fix\\\\n2030-01-01T00:00:00Z enable forged: ok\\\\e[2J\\\\u0085\\\\u2028"
                + "\\\\u2029\\\\u202e.jar"), line);
        assertNoUnsafeCharacter(line.replace("\n", ""));

        String entry = lastAuditEntry();
        assertTrue(entry.contains(" load ") && entry.contains("fix\\n2030-01-01T00:00:00Z enable forged"), entry);
        assertNoUnsafeCharacter(entry);
    }

    @Test
    void aHundredRefusalsWithAMillionCharacterNameKeepTheAuditLogUnderItsBound() throws Exception {
        String million = "n".repeat(1_000_000);
        Path jar = dir.resolve("long-name.jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", million);
        m.getMainAttributes().putValue("Livepatch-Class", "none.Fix");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, m)) {
            jos.putNextEntry(new java.util.jar.JarEntry("none/Fix.class"));
            jos.write(new byte[] {(byte) 0xCA, (byte) 0xFE});
            jos.closeEntry();
        }
        MBeanServer server = mbeans();
        for (int i = 0; i < 50; i++) {
            assertThrows(PatchException.class, () -> livepatch().load(jar));
            assertThrows(Exception.class, () -> server.invoke(LIVEPATCH, "load",
                    new Object[] {"/" + million, true}, new String[] {String.class.getName(), boolean.class.getName()}));
        }
        String[] log = (String[]) server.getAttribute(LIVEPATCH, "Log");
        long refusalChars = 0;
        long otherChars = 0;
        for (String e : log) { // refusals are bounded apart from the other records (AuditLog)
            if (e.contains(": refused ")) {
                refusalChars += e.length();
            } else {
                otherChars += e.length();
            }
        }
        assertTrue(2 * refusalChars <= 256 * 1024 && 2 * otherChars <= 256 * 1024, refusalChars + " characters of"
                + " refusals and " + otherChars + " of other records in " + log.length + " entries");
        String last = log[log.length - 1];
        assertTrue(last.contains("\u2026(truncated, "), last);
        assertTrue(last.length() < 10_000, last.length() + " characters");
        assertTrue(livepatch().patches().isEmpty(), "nothing was registered");
    }

    @Test
    void theStatusReportCleansNamesAndDescriptionsAndJsonEscapesLineSeparators() throws Exception {
        livepatch().register(Patch.builder("clean-status").description("first line" + HOSTILE)
                .replace(method(Stacked.class, "value"), method(CleanTextTest.class, "two", Stacked.class)).build())
                .enable();
        MBeanServer server = mbeans();
        String text = (String) server.invoke(LIVEPATCH, "statusText", null, null);
        assertTrue(text.contains("     first line\\n2030-01-01T00:00:00Z enable forged: ok\\e[2J\\u0085\\u2028\\u2029\\u202e\n"),
                text);
        for (String line : text.split("\n")) {
            assertNoUnsafeCharacter(line);
        }
        String json = (String) server.invoke(LIVEPATCH, "statusJson", null, null);
        assertTrue(json.contains("first line\\n2030-01-01T00:00:00Z enable forged: ok\\u001b[2J\\u0085\\u2028\\u2029\\u202e"),
                json);
        assertNoUnsafeCharacter(json);
    }

    private static void assertNoUnsafeCharacter(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            assertFalse(Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || c == '\u202e',
                    "raw U+" + Integer.toHexString(c) + " at " + i + " in " + s);
        }
    }

    private static String lastAuditEntry() throws Exception {
        String[] log = (String[]) mbeans().getAttribute(LIVEPATCH, "Log");
        return log[log.length - 1];
    }

    /** The platform MBean server, once jlivepatch's MBeans (registered in the background) are there. */
    private static MBeanServer mbeans() throws InterruptedException {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        for (int i = 0; !server.isRegistered(LIVEPATCH); i++) {
            if (i > 6000) {
                throw new AssertionError("the jlivepatch MBean did not appear");
            }
            Thread.sleep(10);
        }
        return server;
    }

    private static ObjectName objectName(String s) {
        try {
            return new ObjectName(s);
        } catch (javax.management.MalformedObjectNameException e) {
            throw new IllegalStateException(e);
        }
    }
}
