package io.jlivepatch.internal;

import io.jlivepatch.ChildJvm;
import io.jlivepatch.Livepatch;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.Test;

import java.lang.instrument.Instrumentation;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * premain's installation on a thread of its own: whoever asks for jlivepatch meanwhile gets it once
 * it is there, and a failed installation says so. Each in a JVM of its
 * own: the installation is once per JVM.
 */
class BackgroundInstallTest {

    @Test
    void livepatchGetWaitsForTheInstallationThatRunsAside() throws Exception {
        ChildJvm.runOk(Driver.class, List.of(), List.of("waits"), 120);
    }

    @Test
    void aFailedInstallationEndsAndGetSaysItFailed() throws Exception {
        String out = ChildJvm.runOk(Driver.class, List.of(), List.of("fails"), 120);
        assertTrue(out.contains("jlivepatch: could not be installed (java.lang.AssertionError: not expected)"), out);
    }

    public static final class Driver {
        public static void main(String[] args) throws Exception {
            if (args[0].equals("waits")) {
                waits();
            } else {
                fails();
            }
            System.out.println("RESULT ok");
        }

        /** An installation that runs {@code then} once the test lets it go. */
        private static Runnable after(CountDownLatch go, Runnable then) {
            return () -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                then.run();
            };
        }

        private static void waits() throws Exception {
            Instrumentation inst = ByteBuddyAgent.install();
            CountDownLatch go = new CountDownLatch(1);
            BackgroundInstall.start(after(go, () -> Livepatch.install(inst)));
            AtomicReference<Object> got = new AtomicReference<>();
            Thread caller = new Thread(() -> {
                try {
                    got.set(Livepatch.get());
                } catch (Throwable t) {
                    got.set(t);
                }
            }, "application");
            caller.start();
            // The caller waits for the installation (a bounded wait on BackgroundInstall's monitor);
            // had it not waited, it would have ended with "not installed".
            while (caller.getState() != Thread.State.TIMED_WAITING) {
                if (!caller.isAlive()) {
                    throw new AssertionError("Livepatch.get() did not wait for the installation: " + got.get());
                }
                Thread.onSpinWait();
            }
            go.countDown();
            caller.join();
            if (!(got.get() instanceof Livepatch) || got.get() != Livepatch.get()) {
                throw new AssertionError("Livepatch.get() while the installation ran gave " + got.get());
            }
            BackgroundInstall.await();
            if (BackgroundInstall.running() || BackgroundInstall.whyNotInstalled() == null) {
                throw new AssertionError("the installation is still counted as running");
            }
        }

        private static void fails() {
            CountDownLatch go = new CountDownLatch(1);
            BackgroundInstall.start(after(go, () -> {
                throw new AssertionError("not expected"); // what the installation's own handlers let through
            }));
            if (!BackgroundInstall.running()) {
                throw new AssertionError("the installation is not counted as running");
            }
            go.countDown();
            BackgroundInstall.await();
            if (BackgroundInstall.running()) {
                throw new AssertionError("the failed installation is still counted as running");
            }
            try {
                Livepatch.get();
                throw new AssertionError("Livepatch.get() after a failed installation returned");
            } catch (IllegalStateException e) {
                if (!e.getMessage().equals("jlivepatch is not installed in this JVM: the agent's installation, started"
                        + " before main, failed (the log and the system property jlivepatch.agent.failure say why)")) {
                    throw new AssertionError("unexpected message: " + e.getMessage());
                }
            }
        }
    }
}
