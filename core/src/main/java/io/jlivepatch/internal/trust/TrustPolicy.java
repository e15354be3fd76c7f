package io.jlivepatch.internal.trust;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.jar.PatchJarBytes;

/**
 * Which patch JARs this JVM accepts (the kernel's module signature enforcement). Without a trust
 * store every JAR is accepted and {@code status} says that patches are not verified; with one, a
 * JAR must be signed whole by a certificate of the store (or one chaining to it), valid now.
 * Set once per JVM: it can be raised (none to a store) but never lowered or replaced at run time.
 */
public final class TrustPolicy {

    private static final TrustPolicy NONE = new TrustPolicy();

    // Written once under TrustPolicy.class (install), read without a lock by every load.
    private static volatile TrustPolicy current = NONE;

    private TrustPolicy() {
    }

    public static TrustPolicy none() {
        return NONE;
    }

    public static TrustPolicy current() {
        return current;
    }

    /**
     * The policy of a trust store file (PKCS12 or JKS of certificates). Never throws: a store that
     * is missing, unreadable, empty or of the wrong type gives a policy that refuses every patch with
     * {@code UNTRUSTED} and says why, so that the agent still starts and nothing unverified loads.
     *
     * @param password the store's password, or {@code null}
     */
    public static TrustPolicy fromStore(java.nio.file.Path store, String password) {
        throw new UnsupportedOperationException("trust stores: being implemented (issue 11)");
    }

    /**
     * Makes {@code policy} this JVM's policy unless one that verifies is in force already.
     *
     * @return whether it was installed
     */
    public static synchronized boolean install(TrustPolicy policy) {
        if (current.enforced() || !policy.enforced()) {
            return policy == current;
        }
        current = policy;
        return true;
    }

    /** Whether patch JARs must be signed. */
    public boolean enforced() {
        return false;
    }

    /** One line for {@code status}: what is verified, against which store, or why every patch is refused. */
    public String describe() {
        return "patches are not verified (no trust store: start the agent with truststore=<file>)";
    }

    /**
     * Checks {@code jar}'s signature against this policy.
     *
     * @return who signed it, {@link Signature#UNSIGNED} when nobody did and none is required
     * @throws PatchException {@code UNTRUSTED} with the reason: unsigned, an unknown signer, an
     *                        unsigned or tampered entry, an expired certificate, or a store that
     *                        could not be read
     */
    public Signature verify(PatchJarBytes jar) throws PatchException {
        return Signature.UNSIGNED;
    }
}
