package io.jlivepatch.trust;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.Sha256;
import io.jlivepatch.internal.core.AuditLog;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.trust.TrustPolicy;
import jarapp.Counter;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * UncheckedCarrierTest's JVM: patches loaded with no trust policy (two unsigned ones carrying a class,
 * a signed one carrying a class, a signed one using a carried class, and one held between its JAR's
 * check and its preparation), the policy raised, then every load and enable that would link to a class
 * no policy checked, refused, and those that would not, loaded. Arguments: the directory of the JARs, the trust store, its password.
 */
public final class UncheckedCarrierDriver {

    private static Path dir;
    private static Livepatch lp;
    private static PatchRegistry registry;

    private UncheckedCarrierDriver() {
    }

    public static void main(String[] args) throws Exception {
        dir = Path.of(args[0]);
        lp = Livepatch.install(ByteBuddyAgent.install());
        registry = PatchRegistry.installed();

        // A load whose JAR passes the policy of before the raise (none), held there until the end: what it
        // carries is defined after every check of the loads below.
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
        Object[] carryLate = new Object[1];
        Thread late = new Thread(() -> {
            try {
                carryLate[0] = lp.load(jar("carry-late"));
            } catch (PatchException e) {
                carryLate[0] = e;
            }
        }, "carry-late");
        late.start();
        check(checked.await(60, TimeUnit.SECONDS), "carry-late checked against no policy");

        // No policy: nothing checks, nothing is refused (as before).
        lp.load(jar("carry-a")).unregister(); // its jarapp.CarriedTool stays in the application's loader
        PatchHandle kept = lp.load(jar("carry-kept")); // registered still: jarapp.CarriedKept
        PatchHandle carrySigned = lp.load(jar("carry-signed")); // signed, but nothing checked it
        PatchHandle pre = lp.load(jar("uses-tool-pre")); // signed, uses jarapp.CarriedTool
        check(TrustPolicy.install(TrustPolicy.fromStore(Path.of(args[1]), args[2])), "the policy installed");

        // A signed patch naming a class an unchecked patch carried, unregistered since or not: refused at load.
        refusedLoad("uses-tool", "jarapp.CarriedTool", "carry-a");
        refusedLoad("uses-kept", "jarapp.CarriedKept", "carry-kept");
        check(kept.isRegistered() && !kept.isEnabled(), "the carrier is left as it was");
        kept.unregister(); // unsigned, it cannot be enabled now: the enables below need none disabled below them
        // Signed but registered before the raise, so unchecked too until its enable checks it: refused.
        refusedLoad("uses-signed", "jarapp.CarriedSigned", "carry-signed");
        // The signed carrier's enable checks its JAR: its class is checked code from then on.
        carrySigned.enable();
        check(carrySigned.awaitTransition(Duration.ofSeconds(30)) && carrySigned.isEnabled(), "carry-signed enabled");

        // At the enable of a patch registered before the raise: refused, nothing changed, on record.
        PatchException e = expectRefused(() -> {
            pre.enable();
            return pre;
        });
        expect(e, "patch 'uses-tool-pre' was registered before this JVM's trust policy was raised (", "), and its code"
                + " uses class jarapp.CarriedTool, which patch 'carry-a' (JAR SHA-256 " + sha("carry-a") + ") carried"
                + " into the application's class loader unchecked",
                "nothing was changed", "restart the JVM");
        check(e.reason() == PatchException.Reason.UNTRUSTED, "UNTRUSTED: " + e.reason());
        check(pre.isRegistered() && !pre.isEnabled(), "not enabled: " + pre);
        audited("enable", "uses-tool-pre", e);
        pre.unregister();

        PatchHandle usesSigned = lp.load(jar("uses-signed"));
        check(usesSigned.isRegistered(), "uses-signed loads once its carrier was checked");
        usesSigned.unregister();
        // Carrying another class file under the name: refused as before (a loader cannot replace a class).
        PatchException other = expectRefused(() -> lp.load(jar("carries-other")));
        check(other.reason() == PatchException.Reason.INVALID_PATCH, "INVALID_PATCH: " + other.reason());
        expect(other, "was carried into the application's class loader by patch 'carry-a' as another class file");
        // Only its own classes: loads.
        PatchHandle ownOnly = lp.load(jar("own-only"));
        check(ownOnly.isRegistered(), "own-only loads");
        ownOnly.unregister();
        // The identical class file, carried and signed: loads, runs, and vouches for those bytes from then on.
        PatchHandle same = lp.load(jar("carries-same"));
        same.enable();
        check(same.awaitTransition(Duration.ofSeconds(30)) && same.isEnabled(), "carries-same enabled");
        check(new Counter().next() == -1, "carries-same runs"); // its next calls CarriedTool.value, answers -1
        PatchHandle usesTool = lp.load(jar("uses-tool"));
        check(usesTool.isRegistered(), "uses-tool loads once a checked JAR carried the same bytes");
        usesTool.unregister();

        // Checked at its load, when jarapp.CarriedLate was carried by nothing yet. The load held since before the
        // raise carries nothing unchecked now (RaisedMidLoadDriver: a signed patch enabled before that carry would
        // run it): refused, and uses-late, whose code names a class nothing carried, enables.
        PatchHandle usesLate = lp.load(jar("uses-late"));
        release.countDown();
        late.join(60_000);
        check(!late.isAlive() && carryLate[0] instanceof PatchException, "carry-late refused: " + carryLate[0]);
        PatchException lateRefusal = (PatchException) carryLate[0];
        expect(lateRefusal, "patch JAR " + jar("carry-late") + " refused: class jarapp.CarriedLate was not carried:"
                + " this JVM's trust policy was raised while patch 'carry-late' was being loaded", "load it again");
        check(lateRefusal.reason() == PatchException.Reason.UNTRUSTED, "UNTRUSTED: " + lateRefusal.reason());
        check(lp.find("carry-late").isEmpty(), "carry-late is not registered");
        usesLate.enable();
        check(usesLate.awaitTransition(Duration.ofSeconds(30)) && usesLate.isEnabled(), "uses-late enabled");
        System.out.println("RESULT ok");
    }

    private static void refusedLoad(String name, String cls, String carrier) throws Exception {
        PatchException e = expectRefused(() -> lp.load(jar(name)));
        expect(e, "patch JAR '" + jar(name) + "' refused: its code uses class " + cls + ", which patch '" + carrier
                + "' (JAR SHA-256 " + sha(carrier) + ") carried into the application's class loader unchecked (loaded"
                + " before this JVM's trust policy was raised)", "nothing was changed", "restart the JVM",
                "carry the identical class file in this JAR (Livepatch-New-Classes)");
        check(e.reason() == PatchException.Reason.UNTRUSTED, "UNTRUSTED: " + e.reason());
        check(lp.find(name).isEmpty(), name + " is not registered");
        audited("load", name, e);
    }

    /** The last record of the registry's audit log is {@code operation}'s refusal of {@code patch}, saying {@code e}. */
    private static void audited(String operation, String patch, PatchException e) {
        List<AuditLog.Entry> entries = registry.audit().entries();
        AuditLog.Entry last = entries.get(entries.size() - 1);
        check(last.operation().equals(operation) && last.patch().equals(patch)
                && last.outcome().contains("UNTRUSTED") && last.outcome().contains(e.getMessage()),
                "the refusal is on record: " + last);
    }

    private interface Call {
        Object run() throws Exception;
    }

    private static PatchException expectRefused(Call call) throws Exception {
        try {
            Object r = call.run();
            throw new AssertionError("not refused: " + r);
        } catch (PatchException e) {
            return e;
        }
    }

    private static void expect(PatchException e, String... fragments) {
        String m = e.getMessage();
        check(!m.contains("\n"), "one line: " + m);
        for (String f : fragments) {
            check(m.contains(f), "'" + f + "' in: " + e.reason() + " " + m);
        }
    }

    private static Path jar(String name) {
        return dir.resolve(name + ".jar");
    }

    private static String sha(String name) throws Exception {
        return Sha256.hex(Files.readAllBytes(jar(name)));
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
