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

    /**
     * jlivepatch named twice with {@code -javaagent}: the installations run in the order given, and
     * premain's own (start-up patches) after both, as when each premain installed in turn (a trust
     * store of the first must be in force before the second's patches load).
     */
    @Test
    void installationsAsideRunInOrderAndAwaitAllWaitsForEach() throws Exception {
        ChildJvm.runOk(Driver.class, List.of(), List.of("inOrder"), 120);
    }

    /**
     * An application's (or another agent's) {@code Livepatch.install} while the agent's installation
     * runs aside waits for it: the agent's options (its trust store) come first, as before main.
     */
    @Test
    void livepatchInstallWaitsForTheInstallationThatRunsAside() throws Exception {
        ChildJvm.runOk(Driver.class, List.of(), List.of("installWaits"), 120);
    }

    public static final class Driver {
        public static void main(String[] args) throws Exception {
            if (args[0].equals("waits")) {
                waits();
            } else if (args[0].equals("inOrder")) {
                inOrder();
            } else if (args[0].equals("installWaits")) {
                installWaits();
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

        private static void inOrder() throws Exception {
            CountDownLatch go = new CountDownLatch(1);
            List<String> ran = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            BackgroundInstall.start(after(go, () -> ran.add("first")));
            BackgroundInstall.start(() -> ran.add("second"));
            AtomicReference<List<String>> seen = new AtomicReference<>();
            Thread premain = new Thread(() -> {
                BackgroundInstall.awaitAll();
                seen.set(List.copyOf(ran));
            }, "premain");
            premain.start();
            Thread.sleep(300); // the second, were it not chained, has run by now
            if (!ran.isEmpty() || seen.get() != null) {
                throw new AssertionError("ran before the first installation ended: " + ran + ", awaitAll saw " + seen.get());
            }
            go.countDown();
            premain.join(30_000);
            if (!List.of("first", "second").equals(seen.get())) {
                throw new AssertionError("awaitAll returned after " + seen.get() + " (all: " + ran + ")");
            }
            if (BackgroundInstall.running()) {
                throw new AssertionError("the installations are still counted as running");
            }
        }

        private static void installWaits() throws Exception {
            Instrumentation inst = ByteBuddyAgent.install();
            CountDownLatch go = new CountDownLatch(1);
            java.util.concurrent.atomic.AtomicBoolean optionsApplied = new java.util.concurrent.atomic.AtomicBoolean();
            BackgroundInstall.start(after(go, () -> {
                optionsApplied.set(true); // the agent's trust store, limits, audit file
                Livepatch.install(inst);
            }));
            AtomicReference<Object> got = new AtomicReference<>();
            AtomicReference<Boolean> appliedFirst = new AtomicReference<>();
            Thread caller = new Thread(() -> {
                try {
                    got.set(Livepatch.install(inst));
                    appliedFirst.set(optionsApplied.get());
                } catch (Throwable t) {
                    got.set(t);
                }
            }, "application");
            caller.start();
            caller.join(2_000);
            go.countDown();
            caller.join();
            BackgroundInstall.await();
            if (!(got.get() instanceof Livepatch) || got.get() != Livepatch.get()) {
                throw new AssertionError("Livepatch.install while the installation ran gave " + got.get());
            }
            if (!Boolean.TRUE.equals(appliedFirst.get())) {
                throw new AssertionError("Livepatch.install installed before the agent's installation applied its options");
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
