package io.jlivepatch.trust;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.trust.TrustPolicy;
import jarapp.Counter;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * UncheckedCarrierTest's JVM for a load under way at the raise whose carried class would come after a signed
 * patch naming it was loaded and enabled: that patch's checks found nothing carried, and its code resolves the
 * name when it first runs. Arguments: the directory of the JARs, the trust store, its password.
 */
public final class RaisedMidLoadDriver {

    private RaisedMidLoadDriver() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        // the unsigned carrier's JAR passes the policy of before the raise (none); held there until released
        CountDownLatch checked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        PatchRegistry.holdAfterTrustCheckForTests(() -> {
            checked.countDown();
            try {
                check(release.await(60, TimeUnit.SECONDS), "released");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        Object[] outcome = new Object[1];
        Thread late = new Thread(() -> {
            try {
                outcome[0] = lp.load(dir.resolve("carry-after.jar"));
            } catch (PatchException e) {
                outcome[0] = e;
            }
        }, "carry-after");
        late.start();
        check(checked.await(60, TimeUnit.SECONDS), "carry-after checked against no policy");
        PatchRegistry.holdAfterTrustCheckForTests(null);
        check(TrustPolicy.install(TrustPolicy.fromStore(Path.of(args[1]), args[2])), "the policy installed");

        // Signed, checked at its load and its enable, when nothing carried jarapp.CarriedAfter yet.
        PatchHandle uses = lp.load(dir.resolve("uses-after.jar"));
        uses.enable();
        check(uses.awaitTransition(Duration.ofSeconds(30)) && uses.isEnabled(), "uses-after enabled");

        release.countDown();
        late.join(60_000);
        check(!late.isAlive(), "carry-after's load ended");
        // Carried now, its unchecked code would run at the signed patch's next call (Counter.next).
        check(outcome[0] instanceof PatchException, "carry-after refused: " + outcome[0]);
        PatchException e = (PatchException) outcome[0];
        check(e.reason() == PatchException.Reason.UNTRUSTED, "UNTRUSTED: " + e.reason() + " " + e.getMessage());
        String m = e.getMessage();
        check(!m.contains("\n") && m.contains("class jarapp.CarriedAfter was not carried")
                && m.contains("trust policy was raised") && m.contains("load it again"), "the refusal says why: " + m);
        check(lp.find("carry-after").isEmpty(), "carry-after is not registered");
        try {
            Class.forName("jarapp.CarriedAfter", false, Counter.class.getClassLoader());
            throw new AssertionError("jarapp.CarriedAfter, which no policy checked, was carried into the application's"
                    + " class loader after the signed uses-after was enabled: its next call runs it");
        } catch (ClassNotFoundException expected) {
            // nothing was carried
        }
        System.out.println("RESULT ok");
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
