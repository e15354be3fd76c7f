package io.jlivepatch;

import io.jlivepatch.internal.core.AuditLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exit's pass of the link audit (LinkFailureAudit.atExit) returns at once only when no event is
 * queued and the link-audit thread writes none: it must not return while that thread has taken an
 * event from the queue and not written it yet, whose record would then come after the audit file's
 * drain took its count, and be lost at the exit. The interleaving is made deterministic with the
 * thread's lock replaced by one that holds the thread back until the exit's pass has asked whether it
 * is taken, and then lets it take the event (it blocks recording it, on the audit log's monitor, which
 * the test holds) before the pass goes on.
 */
class LinkAuditAtExitOrderTest {

    private static final String TARGET = "testapp.lateaudit.AuditedAtExitOrder";
    private static final Duration HANG = Duration.ofSeconds(20);

    public static String fits(Object receiver) {
        return "fits";
    }

    @AfterEach
    void cleanUp() throws Exception {
        TestSupport.removeAllPatches();
    }

    /** The link-audit thread's lock, holding that thread back at lock() until the exit's pass asked isLocked(). */
    static final class Interleaving extends ReentrantLock {
        private static final long serialVersionUID = 1L;
        final transient Thread reader;
        final CountDownLatch asked = new CountDownLatch(1);
        volatile boolean gating = true;

        Interleaving(Thread auditThread) {
            this.reader = auditThread;
        }

        @Override
        public void lock() {
            if (gating && Thread.currentThread() == reader) {
                try {
                    asked.await(HANG.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            super.lock();
        }

        /** Whether a thread holds it, not asked as the exit's pass asks. */
        boolean taken() {
            return super.isLocked();
        }

        @Override
        public boolean isLocked() {
            boolean locked = super.isLocked();
            if (gating && Thread.currentThread() != reader) {
                // what the pass saw; now the thread takes the event and blocks recording it
                asked.countDown();
                long deadline = System.nanoTime() + HANG.toNanos();
                while (!LinkAuditOverflowTest.blockedInRecord(reader) && System.nanoTime() - deadline < 0) {
                    LockSupport.parkNanos(1_000_000);
                }
            }
            return locked;
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

    private static io.jlivepatch.internal.patch.HookLedger ledger() throws ReflectiveOperationException {
        Field hooks = RegistryAccess.get().getClass().getDeclaredField("hooks");
        hooks.setAccessible(true);
        return ((io.jlivepatch.internal.patch.HookManager) hooks.get(RegistryAccess.get())).ledger();
    }

    @Test
    void theExitsPassDoesNotReturnWhileTheThreadHoldsAnEventItHasNotWritten() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("audit-exit-order")
                .replace(TARGET, "get", "()Ljava/lang/String;", method(LinkAuditAtExitOrderTest.class, "fits", Object.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        Object registry = RegistryAccess.get();
        Field linkAuditField = registry.getClass().getDeclaredField("linkAudit");
        linkAuditField.setAccessible(true);
        Object linkAudit = linkAuditField.get(registry);
        Field writingField = linkAudit.getClass().getDeclaredField("writing");
        writingField.setAccessible(true);
        Thread auditThread = LinkAuditOverflowTest.threadNamed("jlivepatch-link-audit");
        Interleaving lock = new Interleaving(auditThread);
        // Swapped while the thread is parked with nothing to do (the enable's events written): it reads
        // the field again at its next lock and unlock, both then of this lock.
        long idle = System.nanoTime() + HANG.toNanos();
        while (!parkedIdle(auditThread)) {
            assertTrue(System.nanoTime() - idle < 0, "the link-audit thread never went idle");
            LockSupport.parkNanos(1_000_000);
        }
        writingField.set(linkAudit, lock);
        Method atExit = linkAudit.getClass().getDeclaredMethod("atExit");
        atExit.setAccessible(true);
        AuditLog audit = RegistryAccess.get().audit();
        Thread exit = new Thread(() -> {
            try {
                atExit.invoke(linkAudit);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }, "exit-pass");
        try {
            boolean returnedWhileHeld;
            synchronized (audit) {
                @SuppressWarnings("unchecked")
                Supplier<String> s = (Supplier<String>) IsolatingLoader.of("exit-order-0", TARGET).define(TARGET)
                        .getDeclaredConstructor().newInstance();
                assertEquals("fits", s.get());
                exit.start();
                // the pass either returns, or waits to write the event (blocked on this monitor, or for the lock)
                long deadline = System.nanoTime() + HANG.toNanos();
                while (exit.isAlive() && !LinkAuditOverflowTest.blockedInRecord(exit)
                        && !(lock.taken() && exit.getState() == Thread.State.TIMED_WAITING)) {
                    assertTrue(System.nanoTime() - deadline < 0, "the exit's pass neither returned nor waited");
                    LockSupport.parkNanos(1_000_000);
                }
                returnedWhileHeld = !exit.isAlive();
            }
            exit.join(HANG.toMillis());
            assertFalse(exit.isAlive(), "the exit's pass did not end");
            assertFalse(returnedWhileHeld, "the exit's pass returned while the link-audit thread held an event it had"
                    + " not written: its record would come after the drain's count, and be lost at the exit");
            List<AuditLog.Entry> links = audit.entries().stream()
                    .filter(e -> e.operation().equals("link") && e.patch().equals("audit-exit-order")).toList();
            assertEquals(1, links.size(), links.toString());
        } finally {
            lock.gating = false;
            lock.asked.countDown();
            exit.join(HANG.toMillis());
        }
    }
}
