package io.jlivepatch.internal.patch;

import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.RegistryObserver;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Run in a fresh JVM by {@link StretchActivationTest}: the first registry operation activates
 * jlivepatch while a background stretch begun before it (as the JMX set-up's, which ends by
 * {@code observeFromNowOn}, under the registry's lock) is in progress. {@code adopts}: the operation
 * completes without waiting for that stretch (activation marks it), and the stretch then goes on
 * marked, takes the registry's lock and ends. {@code unslotted}: sixteen other stretches took every
 * slot first, so activation cannot mark this one and waits for it; the operation must activate before
 * it takes the registry's lock, or the two stall each other until activation's bound runs out. The
 * bound is ten minutes in both: a stall is a hang the test reports. Prints {@code RESULT ok}.
 */
public final class RegistryStretchDriver {

    private static final WarningsLogged WARNINGS = new WarningsLogged();

    private RegistryStretchDriver() {
    }

    public static String none() {
        return "patched none";
    }

    public static void main(String[] args) throws Exception {
        boolean unslotted = args[0].equals("unslotted");
        WARNINGS.start();
        RecursionGuard.stretchWait(TimeUnit.MINUTES.toNanos(10));
        PatchRegistry registry = PatchRegistry.install(ByteBuddyAgent.install());

        CountDownLatch goOn = new CountDownLatch(1);
        java.util.List<StretchTestSupport.HeldStretch> fillers = new java.util.ArrayList<>();
        for (int i = 0; unslotted && i < 16; i++) {
            fillers.add(new StretchTestSupport.HeldStretch("jlivepatch-test-filler-" + i, goOn));
        }
        CountDownLatch begun = new CountDownLatch(1);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean markedAfter = new java.util.concurrent.atomic.AtomicBoolean();
        Thread background = new Thread(() -> {
            int m = RecursionGuard.enterIfActive();
            try {
                begun.countDown();
                goOn.await();
                markedAfter.set(RecursionGuard.inside());
                // What JmxWatch's installer ends with: the registry's lock, inside its stretch.
                registry.observeFromNowOn(new RegistryObserver() {
                    @Override
                    public void registered(PatchHandle patch) {
                    }

                    @Override
                    public void unregistered(PatchHandle patch) {
                    }
                });
            } catch (Throwable t) {
                failed.set(t);
            } finally {
                RecursionGuard.exit(m);
            }
        }, "jlivepatch-test-jmx-setup");
        background.setDaemon(true);
        background.start();
        check(begun.await(60, TimeUnit.SECONDS), "the background stretch began");

        AtomicReference<Object> registered = new AtomicReference<>();
        Thread operation = new Thread(() -> {
            try {
                registered.set(registry.register(Patch.builder("stretch-lock-order")
                        .replace(testapp.Overloads.class.getMethod("f"), RegistryStretchDriver.class.getMethod("none"))
                        .build()));
            } catch (Throwable t) {
                registered.set(t);
            }
        }, "jlivepatch-test-operation");
        operation.start();
        if (unslotted) {
            // Once the operation's activation waits for the background stretch, that stretch goes for
            // the registry's lock: free unless the operation took it before activating.
            String notWaiting = StretchTestSupport.awaitWaiting(operation);
            check(notWaiting == null, notWaiting);
            goOn.countDown();
        }
        operation.join(TimeUnit.SECONDS.toMillis(60));
        check(!operation.isAlive(), unslotted ? "the operation and the stretch stalled each other (activation under"
                + " the lock)" : "the operation waited for the background stretch");
        check(registered.get() instanceof PatchHandle, "the operation succeeded: " + registered.get());
        goOn.countDown();
        background.join(TimeUnit.SECONDS.toMillis(60));
        check(failed.get() == null, "the background stretch: " + failed.get());
        check(markedAfter.get() != unslotted, "the background stretch was " + (markedAfter.get() ? "" : "not ")
                + "marked once jlivepatch was active");
        check(WARNINGS.lines.stream().noneMatch(w -> w.contains("began before jlivepatch installed its hooks")),
                "no warning about a stretch: " + WARNINGS.lines);
        for (StretchTestSupport.HeldStretch f : fillers) {
            f.thread.join(TimeUnit.SECONDS.toMillis(60)); // each releases the mark activation gave it
            check(!f.thread.isAlive(), f.thread.getName() + " ended");
        }
        check(StretchTestSupport.noMarkLeft(), "a mark is left: no thread of this JVM is in jlivepatch's code any more");
        System.out.println("RESULT ok");
    }

    private static void check(boolean ok, String what) {
        StretchTestSupport.checkInChild(ok, what);
    }
}
