package io.jlivepatch.trust;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.trust.TrustPolicy;
import io.jlivepatch.jar.Jars;
import jarapp.Counter;
import jarapp.Gate;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * In a fresh JVM (the policy is global): an unsigned patch JAR's disable is still in transition when
 * the trust policy is raised; enabling it again, which would reverse the transition and put its code
 * back on every thread, is refused as any enable of it is.
 */
public final class ReversalDriver {

    private ReversalDriver() {
    }

    public static void main(String[] args) throws Exception {
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        Path dir = Files.createTempDirectory("reversal");
        Path jar = Jars.write(dir.resolve("gate.jar"), Jars.manifest("fix-gate", "jarapp.fix.GateFix"),
                Jars.classes("jarapp.fix.GateFix"));
        // gone when this JVM ends (deleteOnExit removes in the reverse order of the calls: the JAR first)
        dir.toFile().deleteOnExit();
        jar.toFile().deleteOnExit();
        PatchHandle h = lp.load(jar);
        h.enable();
        check(h.awaitTransition(Duration.ofSeconds(30)), "enabled");
        Thread inside = new Thread(() -> new Counter().next(), "in-the-patch");
        inside.setDaemon(true); // a failed check ends the JVM at once
        inside.start();
        Gate.INSIDE.await();
        h.disable();
        check(h.inTransition(), "the disable is held by the thread inside the patch");

        TrustPolicy.install(TrustPolicy.refusingAll("a test's policy that trusts no JAR"));
        try {
            h.enable();
            throw new AssertionError("the reversal of the disable was not refused");
        } catch (PatchException e) {
            check(e.reason() == PatchException.Reason.UNTRUSTED && e.getMessage().contains("patch 'fix-gate' was"
                    + " registered before this JVM's trust policy was raised"), e.getMessage());
        }
        check(!h.isEnabled() && h.inTransition(), "still disabled, the disable still running");

        Gate.OPEN.countDown();
        inside.join();
        check(h.awaitTransition(Duration.ofSeconds(30)) && !h.isEnabled(), "the disable completed");
        check(new Counter().next() == 1, "the original runs");
        System.out.println("RESULT ok");
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
