package io.jlivepatch;

import io.jlivepatch.internal.ClosedAtExit;
import io.jlivepatch.internal.core.AuditFile;
import io.jlivepatch.internal.core.AuditLog;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Run in a fresh JVM by {@link LinkAuditAtExitTest}: the audit file {@code args[0]}, a patch enabled,
 * then four classes it hooks defined by four class loaders just before {@code main} returns, while
 * jlivepatch's link-audit thread is blocked recording the first (a thread of the driver's holds the
 * audit log's monitor): three events are still queued when the JVM exits. With {@code args[1]}
 * {@code released}, the monitor is let go once the exit has begun ({@link ClosedAtExit#exiting}) and the
 * exit's wait for the thread is raised to 60 s, so that a wait that runs out shows as a hang: every
 * event must be in the file. With {@code held}, it is let go only once the exit gave up waiting for
 * the thread (its hook blocked on that monitor, to record what was left): the file must say that three
 * events were not recorded.
 */
public final class LinkAuditAtExitDriver {

    private static final String TARGET = "testapp.lateaudit.AuditedAtExit";

    private LinkAuditAtExitDriver() {
    }

    public static String fits(Object receiver) {
        return "fits";
    }

    public static void main(String[] args) throws Exception {
        boolean released = args[1].equals("released");
        AuditFile.configure(Path.of(args[0]));
        if (released) {
            Field bound = Class.forName("io.jlivepatch.internal.core.LinkFailureAudit").getDeclaredField("atExitBoundMs");
            bound.setAccessible(true);
            bound.setLong(null, 60_000);
        }
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("audit-at-exit")
                .replace(TARGET, "get", "()Ljava/lang/String;",
                        LinkAuditAtExitDriver.class.getMethod("fits", Object.class)).build());
        h.enable();
        check(h.awaitTransition(Duration.ofSeconds(30)), "the patch is enabled");
        Thread auditThread = LinkAuditOverflowTest.threadNamed("jlivepatch-link-audit");
        AuditLog audit = RegistryAccess.get().audit();
        CountDownLatch holding = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            synchronized (audit) {
                holding.countDown();
                while (released ? !ClosedAtExit.exiting() : !exitHookBlockedInRecord()) {
                    LockSupport.parkNanos(1_000_000); // polls: neither gives another sign
                }
            }
        }, "hold-audit-log");
        holder.setDaemon(true);
        holder.start();
        holding.await();
        check("fits".equals(defineAndCall("at-exit-0")), "the first copy is hooked");
        while (!LinkAuditOverflowTest.blockedInRecord(auditThread)) {
            LockSupport.parkNanos(1_000_000); // the test's hang detector bounds this
        }
        for (int i = 1; i <= 3; i++) {
            check("fits".equals(defineAndCall("at-exit-" + i)), "copy " + i + " is hooked");
        }
        System.out.println("RESULT ok");
        // main returns: the JVM exits with three events queued behind the one the thread is blocked on
    }

    private static boolean exitHookBlockedInRecord() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("jlivepatch-exit") && LinkAuditOverflowTest.blockedInRecord(t)) {
                return true;
            }
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    private static String defineAndCall(String loaderName) throws ReflectiveOperationException {
        IsolatingLoader loader = IsolatingLoader.of(loaderName, TARGET);
        return ((Supplier<String>) loader.define(TARGET).getDeclaredConstructor().newInstance()).get();
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
