package io.jlivepatch;

import io.jlivepatch.internal.core.AuditLog;
import io.jlivepatch.internal.core.Provenance;
import io.jlivepatch.jar.Jars;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import testapp.lateaudit.AuditedLater;
import testapp.lateaudit.AuditedMisfit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static io.jlivepatch.TestSupport.statusIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A class loader that defines a patched class after the patch was enabled, where the patch does not
 * fit: the class keeps its own code there, status says FAILED, and the audit log has one entry naming
 * the patch, the function, the loader and the reason (issue 17), written off the defining thread.
 */
class LateLoaderAuditTest {

    private static final String MISFIT = "testapp.lateaudit.AuditedMisfit";
    private static final String STATIC = "testapp.lateaudit.AuditedStatic";
    private static final String STATIC_DISABLED = "testapp.lateaudit.AuditedStaticDisabled";
    private static final String STATIC_UNREGISTERED = "testapp.lateaudit.AuditedStaticUnregistered";

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    /** Receiver typed as the application loader's AuditedMisfit: another loader's copy is another class. */
    public static String misfit(AuditedMisfit receiver) {
        return "patched";
    }

    /** Receiver typed as Object: fits every loader's copy. */
    public static String fits(Object receiver) {
        return "fits";
    }

    /** Written for an instance method: a receiver first. */
    public static int value(Object receiver) {
        return 42;
    }

    /** The audit entries of operation {@code link} for {@code patch}. */
    static List<AuditLog.Entry> linkEntries(String patch) {
        return RegistryAccess.get().audit().entries().stream()
                .filter(e -> e.operation().equals("link") && e.patch().equals(patch)).toList();
    }

    /** The link entries of {@code patch} that say a function failed (not those of hooks put in). */
    static List<AuditLog.Entry> linkFailures(String patch) {
        return linkEntries(patch).stream().filter(e -> e.outcome().startsWith("failed")).toList();
    }

    /** Waits for {@code count} link failures of {@code patch}, as {@link #awaitLinkEntries}. */
    static List<AuditLog.Entry> awaitLinkFailures(String patch, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (linkFailures(patch).size() < count && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        return linkFailures(patch);
    }

    /**
     * Waits for {@code count} link entries of {@code patch}: they are written by jlivepatch's own
     * thread, after the defining thread handed them over. A hang detector, not a timing: the
     * entries are there long before the limit, and their number is checked again after it.
     */
    static List<AuditLog.Entry> awaitLinkEntries(String patch, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (linkEntries(patch).size() < count && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        return linkEntries(patch);
    }

    @SuppressWarnings("unchecked")
    private static Supplier<String> newSupplier(Class<?> c) throws ReflectiveOperationException {
        return (Supplier<String>) c.getDeclaredConstructor().newInstance();
    }

    @Test
    void aReplacementThatDoesNotFitALaterLoadersCopyIsAuditedOnceAndThatCopyKeepsItsCode() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("audit-late-misfit")
                .replace(method(AuditedMisfit.class, "get"), method(LateLoaderAuditTest.class, "misfit", AuditedMisfit.class))
                .build());
        h.enable();
        assertEquals("patched", new AuditedMisfit().get());
        assertEquals(List.of(), linkFailures("audit-late-misfit"), "nothing failed yet");

        IsolatingLoader loader = IsolatingLoader.of("audit-misfit-loader", MISFIT);
        Supplier<String> other = newSupplier(loader.define(MISFIT));
        assertEquals("own code", other.get(), "the copy the replacement does not fit keeps its own code");
        assertEquals("own code", other.get());
        assertEquals("patched", new AuditedMisfit().get(), "the application loader's copy stays patched");
        FunctionStatus.LoaderStatus st = statusIn(h.functions().get(0), loader);
        assertEquals(FunctionStatus.State.FAILED, st.state());

        List<AuditLog.Entry> entries = awaitLinkFailures("audit-late-misfit", 1);
        assertEquals(1, entries.size(), entries.toString());
        AuditLog.Entry e = entries.get(0);
        assertEquals("jlivepatch", e.requester(), e.toString());
        assertTrue(e.outcome().startsWith("failed in class loader audit-misfit-loader@"), e.toString());
        assertTrue(e.outcome().contains(MISFIT + ".get()Ljava/lang/String; keeps its own code: "), e.toString());
        assertTrue(e.outcome().contains(st.detail()), "the reason status gives: " + st.detail() + " in " + e);

        // A relink meets the same failure again: no second entry. A patch above that fits every copy
        // links there; once it is disabled, the site is relinked to the one that does not fit.
        PatchHandle above = livepatch().register(Patch.builder("audit-late-misfit-above")
                .replace(method(AuditedMisfit.class, "get"), method(LateLoaderAuditTest.class, "fits", Object.class))
                .build());
        above.enable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(10)));
        assertEquals("fits", other.get());
        above.disable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(10)));
        assertEquals("own code", other.get());
        assertEquals("patched", new AuditedMisfit().get());
        // A second copy fails too: its own entry (once per patch, loader and function).
        IsolatingLoader again = IsolatingLoader.of("audit-misfit-again", MISFIT);
        assertEquals("own code", newSupplier(again.define(MISFIT)).get());
        entries = awaitLinkFailures("audit-late-misfit", 2);
        assertEquals(2, entries.size(), entries.toString());
        assertTrue(entries.get(1).outcome().startsWith("failed in class loader audit-misfit-again@"), entries.toString());
    }

    /**
     * A hook that could not be put in while the patch was enabled is that patch's failure, even when
     * the patch is disabled before jlivepatch's thread gets to the failure: decided when it happened.
     * Deterministic: the test holds the audit log's monitor, on which the audit thread waits with an
     * earlier failure in hand, while the failure and the disable happen.
     */
    @Test
    void aHookThatFailedWhileThePatchWasEnabledIsAuditedAfterAQuickDisable() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("audit-late-disabled")
                .replace(STATIC_DISABLED, "value", "()I", method(LateLoaderAuditTest.class, "value", Object.class)).build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        IsolatingLoader first = IsolatingLoader.of("audit-disabled-first", STATIC_DISABLED);
        IsolatingLoader second = IsolatingLoader.of("audit-disabled-second", STATIC_DISABLED);
        Thread auditThread = threadNamed("jlivepatch-link-audit");
        AuditLog audit = RegistryAccess.get().audit();
        synchronized (audit) {
            first.define(STATIC_DISABLED); // its failure reaches the audit thread, which then waits for this monitor
            await(() -> blockedIn(auditThread, AuditLog.class.getName(), "recordEvent"),
                    "the link-audit thread to block in AuditLog.recordEvent with the first failure in hand");
            second.define(STATIC_DISABLED); // found while the patch is enabled; queued behind the first
            h.disable(); // its own record takes this monitor again: this thread holds it
            assertFalse(h.isEnabled());
            assertTrue(h.awaitTransition(Duration.ZERO), "the disable's transition ended with the operation:"
                    + " no thread runs the method");
        }
        // The audit thread is done with both failures once it parks again (it polls before it parks).
        await(() -> parkedIdle(auditThread), "the link-audit thread to park again, done with both failures");
        List<AuditLog.Entry> entries = linkFailures("audit-late-disabled");
        assertEquals(2, entries.size(), entries.toString());
        assertTrue(entries.get(0).outcome().startsWith("failed in class loader audit-disabled-first@"), entries.toString());
        assertTrue(entries.get(1).outcome().startsWith("failed in class loader audit-disabled-second@"), entries.toString());
    }

    /**
     * As above, and the patch unregistered too before jlivepatch's thread gets to the failure: the
     * entry still names the patch and carries its provenance (the JAR's file and SHA-256), which the
     * failure took when it happened; the registry no longer has them. Deterministic as above.
     */
    @Test
    void aHookThatFailedWhileThePatchWasEnabledIsAuditedAfterAQuickUnregister(@TempDir Path dir) throws Exception {
        Path jar = Jars.write(dir.resolve("unregistered.jar"),
                Jars.manifest("audit-late-unregistered", "testapp.lateaudit.fix.UnregisteredFix"),
                Jars.classes("testapp.lateaudit.fix.UnregisteredFix"));
        PatchHandle h = livepatch().load(jar);
        Provenance provenance = RegistryAccess.get().provenance(h);
        assertFalse(provenance.sha256().isEmpty(), provenance.toString());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        IsolatingLoader first = IsolatingLoader.of("audit-unregistered-first", STATIC_UNREGISTERED);
        IsolatingLoader second = IsolatingLoader.of("audit-unregistered-second", STATIC_UNREGISTERED);
        Thread auditThread = threadNamed("jlivepatch-link-audit");
        AuditLog audit = RegistryAccess.get().audit();
        synchronized (audit) {
            first.define(STATIC_UNREGISTERED); // its failure reaches the audit thread, which then waits for this monitor
            await(() -> blockedIn(auditThread, AuditLog.class.getName(), "recordEvent"),
                    "the link-audit thread to block in AuditLog.recordEvent with the first failure in hand");
            second.define(STATIC_UNREGISTERED); // found while the patch is enabled; queued behind the first
            h.disable(); // its record and the unregister's take this monitor again: this thread holds it
            assertTrue(h.awaitTransition(Duration.ZERO), "the disable's transition ended with the operation:"
                    + " no thread runs the method");
            h.unregister();
            assertFalse(h.isRegistered());
            assertTrue(livepatch().find("audit-late-unregistered").isEmpty());
        }
        // The audit thread is done with both failures once it parks again (it polls before it parks).
        await(() -> parkedIdle(auditThread), "the link-audit thread to park again, done with both failures");
        List<AuditLog.Entry> entries = linkFailures("audit-late-unregistered");
        assertEquals(2, entries.size(), entries.toString());
        assertTrue(entries.get(0).outcome().startsWith("failed in class loader audit-unregistered-first@"),
                entries.toString());
        assertTrue(entries.get(1).outcome().startsWith("failed in class loader audit-unregistered-second@"),
                entries.toString());
        assertTrue(entries.get(1).outcome().contains(STATIC_UNREGISTERED + ".value()I keeps its own code: "),
                entries.toString());
        for (AuditLog.Entry e : entries) {
            assertEquals("jlivepatch", e.requester(), e.toString());
            assertEquals(provenance.source(), e.source(), e.toString());
            assertEquals(provenance.sha256(), e.sha256(), e.toString());
        }
    }

    private static Thread threadNamed(String name) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no thread " + name + ": it starts with the first enable");
    }

    /**
     * Waits for {@code condition}, 20 s at most, then fails saying {@code what} it waited for: a hang detector,
     * not a timing (the condition is the verdict). Polls a millisecond apart rather than spinning a shared CPU,
     * which the awaited thread may need.
     */
    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() - deadline < 0, "waited 20 s for " + what);
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static boolean blockedIn(Thread t, String className, String method) {
        return t.getState() == Thread.State.BLOCKED && in(t, className, method);
    }

    /** Whether the link-failure audit's thread waits in its park for the next failure. */
    private static boolean parkedIdle(Thread t) {
        StackTraceElement[] stack = t.getStackTrace();
        if (t.getState() != Thread.State.WAITING) {
            return false;
        }
        for (int i = 0; i + 1 < stack.length; i++) {
            if (stack[i].getClassName().equals(LockSupport.class.getName()) && stack[i].getMethodName().equals("park")) {
                return stack[i + 1].getClassName().equals("io.jlivepatch.internal.core.LinkFailureAudit")
                        && stack[i + 1].getMethodName().equals("run") && t.getState() == Thread.State.WAITING;
            }
        }
        return false;
    }

    /** Whether {@code t}'s innermost frame is {@code className.method}. */
    private static boolean in(Thread t, String className, String method) {
        StackTraceElement[] stack = t.getStackTrace();
        return stack.length > 0 && stack[0].getClassName().equals(className) && stack[0].getMethodName().equals(method);
    }

    @Test
    void aMethodThatCannotBeHookedInALaterLoadersClassIsAuditedForItsPatch() throws Exception {
        // value() is taken for an instance method (a receiver first), but the class declares it static
        PatchHandle h = livepatch().register(Patch.builder("audit-late-static")
                .replace(STATIC, "value", "()I", method(LateLoaderAuditTest.class, "value", Object.class)).build());
        h.enable();
        IsolatingLoader loader = IsolatingLoader.of("audit-static-loader", STATIC);
        IntSupplier s = (IntSupplier) loader.define(STATIC).getDeclaredConstructor().newInstance();
        assertEquals(1, s.getAsInt());
        FunctionStatus.LoaderStatus st = statusIn(h.functions().get(0), loader);
        assertEquals(FunctionStatus.State.FAILED, st.state());

        List<AuditLog.Entry> entries = awaitLinkFailures("audit-late-static", 1);
        assertEquals(1, entries.size(), entries.toString());
        String outcome = entries.get(0).outcome();
        assertTrue(outcome.startsWith("failed in class loader audit-static-loader@"), outcome);
        assertTrue(outcome.contains(STATIC + ".value()I keeps its own code: " + st.detail()), outcome + " / " + st.detail());
    }
    /** The jlivepatch log's INFO lines while {@link #logged} runs: what the operator's log shows. */
    private static List<String> logged(ThrowingRunnable body) throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            private final SimpleFormatter formatter = new SimpleFormatter();

            @Override
            public void publish(LogRecord record) {
                lines.add(record.getLevel() + " " + formatter.formatMessage(record));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        TestSupport.JLIVEPATCH_LOG.setLevel(Level.INFO);
        TestSupport.JLIVEPATCH_LOG.setUseParentHandlers(false);
        TestSupport.JLIVEPATCH_LOG.addHandler(handler);
        try {
            body.run();
        } finally {
            TestSupport.JLIVEPATCH_LOG.removeHandler(handler);
            TestSupport.JLIVEPATCH_LOG.setUseParentHandlers(true);
            TestSupport.JLIVEPATCH_LOG.setLevel(Level.WARNING);
        }
        return lines;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** The link entries of {@code patch} that say its hooks were put in (not its failures). */
    private static List<AuditLog.Entry> applied(String patch) {
        return linkEntries(patch).stream().filter(e -> e.outcome().startsWith("ok (")).toList();
    }

    private static List<String> applying(List<String> lines) {
        return lines.stream().filter(l -> l.contains("applying patch")).toList();
    }

    /**
     * A class defined by a class loader after its patch was enabled, without callbacks, is hooked as it
     * is defined: the code of a running class changed, so a log line in the kernel's words ({@code
     * klp_module_coming}: applying patch 'P' to loading module 'M') and an audit record say so, once per
     * patch, class and loader, written by jlivepatch's thread, not the defining one.
     */
    @Test
    void aClassDefinedAfterItsPatchWasEnabledIsLoggedAndOnRecordAsThePatchApplied() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("audit-late-applied")
                .replace(method(AuditedLater.class, "get"), method(LateLoaderAuditTest.class, "fits", Object.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        assertEquals("fits", new AuditedLater().get());
        assertEquals(List.of(), linkEntries("audit-late-applied"), "the application loader's copy was loaded before:"
                + " the enable's own line says so");
        List<String> lines = logged(() -> {
            IsolatingLoader loader = IsolatingLoader.of("audit-applied-loader", AuditedLater.class.getName());
            assertEquals("fits", newSupplier(loader.define(AuditedLater.class.getName())).get());
            assertEquals(1, awaitLinkEntries("audit-late-applied", 1).size());
        });
        List<AuditLog.Entry> entries = linkEntries("audit-late-applied");
        assertEquals(1, entries.size(), entries.toString());
        AuditLog.Entry e = entries.get(0);
        assertEquals("jlivepatch", e.requester(), e.toString());
        assertTrue(e.outcome().matches("ok \\(testapp\\.lateaudit\\.AuditedLater in class loader audit-applied-loader@"
                + "\\p{XDigit}+, defined after the patch was enabled: hooked as it was defined\\)"), e.toString());
        List<String> applying = applying(lines);
        assertEquals(1, applying.size(), lines.toString());
        assertTrue(applying.get(0).matches("INFO applying patch 'audit-late-applied' to loading class"
                + " testapp\\.lateaudit\\.AuditedLater in class loader audit-applied-loader@\\p{XDigit}+"), applying.get(0));
    }

    /**
     * A service that makes a class loader per request, each defining the patched class: the first 10
     * loaders have their lines, then one comes each time their number doubles (the 20th, the 40th),
     * counting those not named since: the log and the audit log are not flooded, whatever the number of
     * requests. Counts, not times: deterministic.
     */
    @Test
    void aClassLoaderPerRequestDoesNotFloodTheLogNorTheAuditLog() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("audit-late-many")
                .replace(method(AuditedLater.class, "get"), method(LateLoaderAuditTest.class, "fits", Object.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        Thread auditThread = threadNamed("jlivepatch-link-audit");
        List<String> lines = logged(() -> {
            for (int i = 1; i <= 45; i++) {
                IsolatingLoader loader = IsolatingLoader.of("request-" + i, AuditedLater.class.getName());
                assertEquals("fits", newSupplier(loader.define(AuditedLater.class.getName())).get(), "request " + i);
            }
            // All 45 were handed over before: once the 12th line is there and the thread parks, it has read them all
            assertEquals(12, awaitLinkEntries("audit-late-many", 12).size());
            await(() -> parkedIdle(auditThread), "the link-audit thread to park again, done with the 45 definitions");
        });
        List<AuditLog.Entry> entries = applied("audit-late-many");
        assertEquals(12, entries.size(), entries.toString());
        List<String> named = new ArrayList<>();
        for (AuditLog.Entry e : entries) {
            named.add(e.outcome().replaceAll("^ok \\(testapp\\.lateaudit\\.AuditedLater in class loader (request-\\d+)@.*",
                    "$1"));
        }
        assertEquals(List.of("request-1", "request-2", "request-3", "request-4", "request-5", "request-6", "request-7",
                "request-8", "request-9", "request-10", "request-20", "request-40"), named);
        assertTrue(entries.get(9).outcome().endsWith("defined after the patch was enabled: hooked as it was defined;"
                + " the 10th class loader to define it for this patch: from here on, a line each time their number"
                + " doubles)"), entries.get(9).outcome());
        assertTrue(entries.get(10).outcome().endsWith("; the 20th class loader to define it for this patch, the 9"
                + " before it since the previous line not named one by one (a line each time their number doubles))"),
                entries.get(10).outcome());
        assertTrue(entries.get(11).outcome().contains("; the 40th class loader to define it for this patch, the 19"
                + " before it"), entries.get(11).outcome());
        List<String> applying = applying(lines);
        assertEquals(12, applying.size(), lines.toString());
        assertTrue(applying.get(10).startsWith("INFO applying patch 'audit-late-many' to loading class"
                + " testapp.lateaudit.AuditedLater in class loader request-20@"), applying.get(10));
        assertTrue(applying.get(10).endsWith(" (the 20th class loader to define it for this patch, the 9 before it since"
                + " the previous line not named one by one (a line each time their number doubles))"), applying.get(10));
    }
}
