package io.jlivepatch.internal.trust;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.jar.PatchJarBytes;

import java.nio.file.Path;
import java.util.Date;
import java.util.Objects;

/**
 * Which patch JARs this JVM accepts (the kernel's module signature enforcement). Without a trust
 * store every JAR is accepted and {@code status} says that patches are not verified; with one, a
 * JAR must be signed whole by a certificate of the store (or one chaining to it), valid now.
 * Set once per JVM: it can be raised (none to a store) but never lowered or replaced at run time.
 *
 * <table>
 * <caption>the three kinds of policy</caption>
 * <tr><th>policy</th><th>{@link #enforced()}</th><th>{@link #verify}</th></tr>
 * <tr><td>{@link #none()}</td><td>false</td><td>{@link Signature#UNSIGNED}, the JAR not even read</td></tr>
 * <tr><td>a store that was read</td><td>true</td><td>the trusted signer, or {@code UNTRUSTED}</td></tr>
 * <tr><td>a store that could not be read</td><td>true</td><td>{@code UNTRUSTED} always, saying why</td></tr>
 * </table>
 *
 * <p>Without a store nothing of the JDK's security (providers, certificate parsing) is loaded: a
 * JVM that does not verify patches pays nothing for it (the agent's first-load footprint).
 */
public final class TrustPolicy {

    private static final TrustPolicy NONE = new TrustPolicy(null, null, StoreOptions.AGENT);

    // Written once under TrustPolicy.class (install), read without a lock by every load (current());
    // the volatile write publishes the policy's final fields with it.
    private static volatile TrustPolicy current = NONE;

    /** The store read at start-up, {@code null} for {@link #none()}. */
    private final TrustStore store;

    /**
     * The command that checks JARs offline with this policy ({@code "install --truststore"}), or
     * {@code null} for a JVM's: a refusal says who accepts only signed patches, and a JVM's alone
     * needs its restart after the store is corrected.
     */
    private final String command;

    /** How refusals name the options the store was given with, and whether they ask for a restart. */
    private final StoreOptions options;

    private TrustPolicy(TrustStore store, String command, StoreOptions options) {
        this.store = store;
        this.command = command;
        this.options = options;
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
     * The file is read here, once: a store changed later takes effect at the JVM's next start.
     *
     * @param password the store's password, or {@code null} (enough for JKS; keytool's PKCS12
     *                 stores encrypt their certificates and need it, see {@link TrustStore})
     */
    public static TrustPolicy fromStore(Path store, String password) {
        return new TrustPolicy(TrustStore.load(Objects.requireNonNull(store, "store"), password, StoreOptions.AGENT),
                null, StoreOptions.AGENT);
    }

    /**
     * The policy of a trust store file for a command that checks JARs against it with no JVM involved
     * ({@code jlivepatch install} and {@code inspect} with {@code --truststore}): it verifies as {@link
     * #fromStore} does, and its refusals name {@code command} where a JVM's name the JVM. Never
     * installed.
     *
     * @param command the command and option as the operator typed them, {@code "install --truststore"}
     * @param options the command's options, which a store's problems name ("check the path given as
     *                --truststore"), as the agent's name {@code truststore=}
     */
    public static TrustPolicy forCommand(Path store, String password, String command, StoreOptions options) {
        return new TrustPolicy(TrustStore.load(Objects.requireNonNull(store, "store"), password,
                Objects.requireNonNull(options, "options")), Objects.requireNonNull(command, "command"), options);
    }

    /**
     * A policy that refuses every patch, saying {@code problem}: for a JVM whose agent was asked for a
     * trust store it could not take (its arguments did not parse), so that no later load or attach
     * runs unverified patches where signed ones were required.
     */
    public static TrustPolicy refusingAll(String problem) {
        return new TrustPolicy(new TrustStore(Path.of("(the agent's arguments)"), java.util.List.of(),
                Objects.requireNonNull(problem, "problem")), null, StoreOptions.AGENT);
    }

    /**
     * Makes {@code policy} this JVM's policy unless one that verifies is in force already: the
     * first enforcing policy stays for the life of the JVM. {@link #none()} never replaces one; a
     * different enforcing policy (another store, or the same file with other content) is not
     * installed and a warning names both.
     *
     * @return whether {@code policy} is this JVM's policy now (installed, or an equal one was)
     */
    public static boolean install(TrustPolicy policy) {
        Objects.requireNonNull(policy, "policy");
        if (policy.command != null) {
            throw new IllegalArgumentException("a command's policy is not a JVM's: " + policy.command);
        }
        TrustPolicy was;
        synchronized (TrustPolicy.class) {
            was = current;
            if (!policy.enforced() || policy.sameAs(was)) {
                return policy.sameAs(was); // none() never lowers; the same store again changes nothing
            }
            if (!was.enforced()) {
                current = policy; // pairs with the volatile read in current()
            }
        }
        // logged outside the lock: the first log line initializes the JDK's logging
        if (was.enforced()) {
            Log.get().log(System.Logger.Level.WARNING, "trust policy unchanged: it stays \"" + was.describe()
                    + "\"; \"" + policy.describe() + "\" was asked for and not installed, as the trust policy cannot"
                    + " be changed while the JVM runs: restart the JVM with the trust store it should use");
            return false;
        }
        Log.get().log(policy.store.problem() == null ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
                "trust policy: " + policy.describe());
        return true;
    }

    /** Whether this and {@code other} verify the same way: the same file, read the same. */
    private boolean sameAs(TrustPolicy other) {
        return store == null ? other.store == null : store.equals(other.store);
    }

    /**
     * Whether a JAR entry is part of a signature rather than of what is signed (the manifest, and
     * {@code *.SF}, {@code *.RSA}, {@code *.DSA}, {@code *.EC}, {@code SIG-*} in META-INF): the JDK's
     * verifier leaves such entries unsigned, so they are never content a patch may read.
     */
    public static boolean isSignatureFile(String entry) {
        return JarSigners.isSignatureFile(entry);
    }

    /**
     * The first of {@code jar}'s signature files ({@code META-INF/*.SF}) that does not cover the
     * manifest's main attributes, as the JAR names it, or null when each covers them or it has none:
     * the JDK verifies such a JAR's entries, yet its patch's name, classes and other {@code Livepatch-*}
     * attributes can be changed without breaking its signature, so a policy with a store refuses it
     * (this very rule). To be called on bytes read under the JAR limits.
     *
     * @throws IOException a signature file that is not a manifest (which a policy refuses as a
     *                     signature that cannot be checked)
     */
    public static String signatureFileLeavingOutMainAttributes(PatchJarBytes jar) throws java.io.IOException {
        return JarSigners.leavingOutMainAttributes(jar);
    }

    /**
     * The first entry that a signature file of {@code jar} lists and that is not among {@code seen} (every name a
     * {@code JarInputStream} of the JAR gives), as the JAR names it, or null: an entry removed after signing, which
     * a policy with a store refuses (this very rule), while the JDK verifies the entries still there. To be
     * called on bytes read under the JAR limits.
     *
     * @throws java.io.IOException a signature file that is not a manifest (which a policy refuses as a
     *                             signature that cannot be checked)
     */
    public static String signedEntryMissing(PatchJarBytes jar, java.util.Set<String> seen) throws java.io.IOException {
        return JarSigners.missingEntry(jar, seen);
    }

    /** Whether patch JARs must be signed. */
    public boolean enforced() {
        return store != null;
    }

    /** One line for {@code status}: what is verified, against which store, or why every patch is refused. */
    public String describe() {
        if (store == null) {
            return "patches are not verified (no trust store: start the agent with truststore=<file>)";
        }
        if (store.problem() != null) {
            return "every patch is refused: " + store.problem();
        }
        int n = store.certificates().size();
        return "patches must be signed by a certificate of " + Refusal.quote(store.path().toString()) + " ("
                + (n == 1 ? "1 certificate" : n + " certificates") + ", or a certificate path to one)";
    }

    /**
     * Checks {@code jar}'s signature against this policy, on its bytes (never the file again). To
     * be called after {@code PatchJar.read} has read the same bytes under the JAR limits, as the
     * load pipeline does: that bounds what is inflated here.
     *
     * <p>Without a store the JAR is not read at all and the result is {@link Signature#UNSIGNED},
     * signed or not: naming an unverified signer would take parsing its signature block, which
     * loads the security providers into every JVM, for a name nothing has checked.
     *
     * @return who signed it, {@link Signature#UNSIGNED} when nobody did and none is required
     * @throws PatchException {@code UNTRUSTED} with the reason: unsigned, an unknown signer, an
     *                        unsigned or tampered entry, an expired certificate, or a store that
     *                        could not be read
     */
    public Signature verify(PatchJarBytes jar) throws PatchException {
        if (store == null) {
            return Signature.UNSIGNED;
        }
        String what = "patch JAR " + Refusal.quote(jar.source());
        String problem = store.problem();
        if (problem != null) {
            // a store's problem says what to correct; refusingAll's says the restart already
            throw Refusal.of(what + " refused: every patch is refused because " + problem
                    + (command != null || problem.endsWith("restart the JVM") ? "" : "; then restart the JVM"));
        }
        Date now = new Date(); // load time: a certificate valid then, and only then, is accepted
        String only = command == null ? "this JVM loads only patches signed by a certificate of its trust store"
                : command + " accepts only patches signed by a certificate of " + Refusal.quote(store.path().toString())
                + " (as a JVM started with it as truststore= loads only those)";
        return SignerTrust.check(what, JarSigners.of(jar, only), store, now, options);
    }

    @Override
    public String toString() {
        return "TrustPolicy[" + describe() + "]";
    }
}
