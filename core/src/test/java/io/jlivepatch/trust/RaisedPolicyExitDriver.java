package io.jlivepatch.trust;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.AuditFile;
import io.jlivepatch.internal.trust.TrustPolicy;
import jarapp.Counter;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.nio.file.Path;

/**
 * In a fresh JVM (the policy is global): a signed patch JAR registered while no trust store was set,
 * the policy raised, then an enable that the policy's check lets through and whose prePatch ends the
 * JVM (exit status 3): the line the exit writes for the enable it cut short is in the audit file.
 *
 * <p>Arguments: the audit file, the signed JAR (jarapp.fix.ExitingPrePatchFix), the trust store, its
 * password.
 */
public final class RaisedPolicyExitDriver {

    private RaisedPolicyExitDriver() {
    }

    public static void main(String[] args) throws Exception {
        AuditFile.configure(Path.of(args[0]));
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        new Counter(); // loaded: its prePatch runs at the enable
        PatchHandle h = lp.load(Path.of(args[1]));
        if (!TrustPolicy.install(TrustPolicy.fromStore(Path.of(args[2]), args[3]))) {
            throw new AssertionError("the policy was not installed");
        }
        h.enable(); // its prePatch exits
        System.out.println("RESULT not exited");
    }
}
