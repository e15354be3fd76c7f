package io.jlivepatch;

import io.jlivepatch.internal.core.AuditLog;
import io.jlivepatch.internal.patch.HookLedger;
import io.jlivepatch.internal.patch.HookManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.lateaudit.AuditedOrder;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The record of a class hooked as it was defined ({@code link P by jlivepatch: ok (... hooked as it was
 * defined)}, the kernel's {@code applying patch}) comes after the line of the operation whose change hooked
 * it, never before: jlivepatch's link-audit thread writes it while that operation may still run (its
 * transition's end, its postPatch callbacks), and the operation's line comes at its end. Deterministic: the
 * class is defined from the enable's own postPatch callback, which returns only once the link-audit thread
 * has taken the event and is parked again (done with it).
 */
class LateClassAuditOrderTest {

    private static final String ORDER = AuditedOrder.class.getName();
    private static final Duration HANG = Duration.ofSeconds(20);

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    /** Written for an instance method: a receiver first; fits every loader's copy. */
    public static String fits(Object receiver) {
        return "fits";
    }

    @Test
    void aClassDefinedDuringTheEnableThatHooksItIsOnRecordAfterTheEnablesLine() throws Exception {
        String name = "audit-order-enable";
        PatchHandle h = livepatch().register(Patch.builder(name)
                .replace(method(AuditedOrder.class, "get"), method(LateClassAuditOrderTest.class, "fits", Object.class))
                .callbacks(ORDER, new Callbacks() {
                    @Override
                    public void postPatch(Class<?> target) {
                        // The transition has ended and the hooks are P's: a copy defined now is hooked as it
                        // is defined, while the enable has not made its line yet.
                        IsolatingLoader.of("audit-order-loader", ORDER).define(ORDER);
                        awaitLinkAuditIdle();
                    }
                })
                .build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        List<AuditLog.Entry> entries = awaitEntries(name, 3);
        assertEquals(List.of("register", "enable", "link"), entries.stream().map(AuditLog.Entry::operation).toList(),
                entries.toString());
        assertTrue(entries.get(2).outcome().startsWith("ok (" + ORDER + " in class loader audit-order-loader@"),
                entries.toString());
        assertTrue(entries.get(2).outcome().endsWith("defined after the patch was enabled: hooked as it was defined)"),
                entries.toString());
    }

    /** The records of {@code patch}, the transition's line left out (its place is the enable's to say). */
    private static List<AuditLog.Entry> entries(String patch) {
        return RegistryAccess.get().audit().entries().stream()
                .filter(e -> e.patch().equals(patch) && !e.operation().equals("transition")).toList();
    }

    /** Waits for {@code count} records of {@code patch}; a hang detector, the count checked after it. */
    private static List<AuditLog.Entry> awaitEntries(String patch, int count) {
        long deadline = System.nanoTime() + HANG.toNanos();
        while (entries(patch).size() < count && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(5_000_000);
        }
        return entries(patch);
    }

    /**
     * Waits until the link-audit thread has taken every queued event and is parked in its loop again: done
     * with the class just defined, whatever it did with it. A hang detector, not a timing.
     */
    private static void awaitLinkAuditIdle() {
        try {
            Thread reader = null;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().equals("jlivepatch-link-audit")) {
                    reader = t;
                }
            }
            if (reader == null) {
                throw new AssertionError("no jlivepatch-link-audit thread: it starts with the first enable");
            }
            long deadline = System.nanoTime() + HANG.toNanos();
            while (!parkedIdle(reader)) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("the link-audit thread did not get to the class within " + HANG);
                }
                LockSupport.parkNanos(1_000_000);
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean parkedIdle(Thread t) throws ReflectiveOperationException {
        if (ledger().failuresWaiting() || t.getState() != Thread.State.WAITING) {
            return false;
        }
        StackTraceElement[] stack = t.getStackTrace();
        for (int i = 0; i + 1 < stack.length; i++) {
            if (stack[i].getClassName().equals(LockSupport.class.getName())) {
                // parked in its loop, not in a lock or a record
                return stack[i + 1].getClassName().endsWith(".LinkFailureAudit") && stack[i + 1].getMethodName().equals("run");
            }
        }
        return false;
    }

    private static HookLedger ledger() throws ReflectiveOperationException {
        Field hooks = RegistryAccess.get().getClass().getDeclaredField("hooks");
        hooks.setAccessible(true);
        return ((HookManager) hooks.get(RegistryAccess.get())).ledger();
    }
}
