package io.jlivepatch.trust;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.trust.TrustPolicy;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.nio.file.Path;
import java.time.Duration;

/**
 * UncheckedCarrierTest's JVM for a signed carrier registered before the raise whose class file an unsigned
 * patch had carried first (the same bytes): once the signed carrier's enable has checked it, those bytes are
 * verified code, as they are when a signed carrier loaded after the raise carries them, and a signed patch
 * that uses the class without carrying it loads. Arguments: the directory of the JARs, the trust store, its
 * password.
 */
public final class CheckedLaterCopyDriver {

    private CheckedLaterCopyDriver() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        // No policy: the unsigned copy is carried first; the signed one's identical bytes are carried by no one.
        lp.load(dir.resolve("dup-unsigned.jar")).unregister();
        PatchHandle signedCopy = lp.load(dir.resolve("dup-signed.jar"));
        check(TrustPolicy.install(TrustPolicy.fromStore(Path.of(args[1]), args[2])), "the policy installed");

        signedCopy.enable(); // checks its JAR: its class file is signed code
        check(signedCopy.awaitTransition(Duration.ofSeconds(30)) && signedCopy.isEnabled(), "dup-signed enabled");
        PatchHandle uses;
        try {
            uses = lp.load(dir.resolve("uses-dup.jar"));
        } catch (PatchException e) {
            throw new AssertionError("uses-dup refused, though the bytes it links to were checked at dup-signed's"
                    + " enable: " + e.getMessage(), e);
        }
        check(uses.isRegistered(), "uses-dup loads");
        System.out.println("RESULT ok");
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
