package io.jlivepatch.internal.trust;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.Sha256;

import java.security.CodeSigner;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Whether a JAR's signers are trusted: a signer is when its certificate path leads to a
 * certificate of the store (the signer's own certificate is in it, or the path chains to one,
 * checked by the JDK's PKIX validator without revocation checks, which would need the network),
 * every certificate of that path, the store's included, is valid now, a certificate of the store
 * that issued the one below it is a CA (as the JDK's own validator requires of an anchor: a signer's
 * certificate of the store signs patches, it does not vouch for certificates its key issues), and the
 * signer's certificate may sign code. One trusted signer is enough: every entry was signed by all of them.
 */
final class SignerTrust {

    private static final String CODE_SIGNING = "1.3.6.1.5.5.7.3.3";
    private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";

    private SignerTrust() {
    }

    /**
     * The trusted signer of a JAR signed by {@code signers}.
     *
     * @param what    "patch JAR '...'", how messages name the JAR
     * @param options what advice to change the store takes besides: a JVM's restart, nothing for a command
     * @throws PatchException {@code UNTRUSTED} saying, for each signer, why it is not trusted
     */
    static Signature check(String what, List<CodeSigner> signers, TrustStore store, Date now, StoreOptions options)
            throws PatchException {
        // The same answer whatever order the JAR lists its signers in: the trusted signer of the
        // smallest subject, the problems sorted. (No lambda or stream: a first load runs this.)
        Signature trusted = null;
        List<String> problems = new ArrayList<>();
        for (CodeSigner s : signers) {
            List<X509Certificate> path = new ArrayList<>();
            for (java.security.cert.Certificate c : s.getSignerCertPath().getCertificates()) {
                if (c instanceof X509Certificate x) {
                    path.add(x);
                }
            }
            if (path.isEmpty()) {
                continue; // defensive, as the refusal below
            }
            String subject = Refusal.subject(path.get(0));
            String problem = problem(path, store, now, options);
            if (problem != null) {
                problems.add("signed by " + Refusal.quote(subject) + ", " + problem);
            } else if (trusted == null || subject.compareTo(trusted.signer()) < 0) {
                trusted = new Signature(subject, Sha256.hex(encoded(path.get(0))));
            }
        }
        if (trusted != null) {
            return trusted;
        }
        Collections.sort(problems);
        if (problems.isEmpty()) {
            // Defensive: no JAR reaches it. The JDK's verifier makes a signer only of a signature that
            // verified with a certificate the block holds (SignerInfo.verify gives none without it), as
            // an X.509 certificate path with that certificate first (SignatureFileVerifier.getSigners,
            // JDK 17 to 25), and JarSigners.of gives at least one signer. Kept so that a verifier that
            // did otherwise would have its JAR refused, not trusted.
            throw Refusal.of(what + " is signed without an X.509 certificate: sign it with jarsigner or jlivepatch"
                    + " build --sign");
        }
        throw Refusal.of(what + " is " + String.join("; and ", problems));
    }

    /** Why the signer whose certificate path is {@code path} (signer first) is not trusted, {@code null} if it is. */
    private static String problem(List<X509Certificate> path, TrustStore store, Date now, StoreOptions options) {
        String storeName = "trust store " + Refusal.quote(store.path().toString());
        int inStore = -1;
        for (int i = 0; i < path.size() && inStore < 0; i++) {
            if (store.certificates().contains(path.get(i))) {
                inStore = i;
            }
        }
        // The path to validate ends below the first certificate of the store it holds (that one is
        // the anchor); with none, the whole path, and PKIX looks for an anchor among the store's.
        List<X509Certificate> chain = inStore >= 0 ? path.subList(0, inStore) : path;
        X509Certificate anchor = inStore >= 0 ? path.get(inStore) : null;
        if (!chain.isEmpty()) {
            Set<TrustAnchor> anchors = new HashSet<>();
            for (X509Certificate c : anchor != null ? List.of(anchor) : store.certificates()) {
                anchors.add(new TrustAnchor(c, null));
            }
            try {
                PKIXParameters parameters = new PKIXParameters(anchors);
                parameters.setRevocationEnabled(false);
                parameters.setDate(now);
                PKIXCertPathValidatorResult result = (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX")
                        .validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), parameters);
                anchor = result.getTrustAnchor().getTrustedCert();
            } catch (CertPathValidatorException e) {
                // PKIX checks a certificate's signature before its dates: a date failure means the
                // path does lead to the store, and is said as such
                if ((e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                        || e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID)
                        && e.getIndex() >= 0 && e.getIndex() < chain.size()) {
                    return dated(chain.get(e.getIndex()), now);
                }
                return "which is not in " + storeName + " and whose certificate path does not lead to one of its "
                        + count(store.certificates().size()) + " (" + Refusal.describe(e) + "): sign it with a key"
                        + " whose certificate, or whose CA's, is in the store, or add that certificate to the store"
                        + options.restart();
            } catch (GeneralSecurityException | RuntimeException e) {
                return "whose certificate path cannot be checked (" + Refusal.describe(e) + "): sign it with"
                        + " jarsigner or jlivepatch build --sign";
            }
            // PKIX takes the anchor's extensions on trust: a signer's certificate of the store (no CA
            // flag, or a key usage without keyCertSign) would vouch for certificates its key issues, of
            // any subject, recorded as the signer. The JDK's own validator (jarsigner -verify, TLS)
            // refuses such an anchor: the same rule.
            String notCa = notACa(anchor);
            if (notCa != null) {
                return "whose certificate was issued by " + Refusal.quote(Refusal.subject(anchor)) + " of " + storeName
                        + ", which is not a CA certificate (" + notCa + "), so it may sign patches but not vouch for"
                        + " other certificates: sign the patch with that certificate's own key, put the signer's"
                        + " certificate in the store, or trust a CA made with keytool -ext bc:c" + options.restart();
            }
        }
        // PKIX takes the anchor's dates on trust; the policy does not
        List<X509Certificate> all = new ArrayList<>(chain);
        all.add(anchor);
        for (X509Certificate c : all) {
            if (!now.before(c.getNotBefore()) && !now.after(c.getNotAfter())) {
                continue;
            }
            return dated(c, now);
        }
        return codeSigning(path.get(0));
    }

    /**
     * Why {@code anchor}, a certificate of the store that issued the first certificate below it, may
     * not issue certificates, {@code null} when it may: the rule of the JDK's validator
     * ({@code sun.security.validator.PKIXValidator}): a version 1 certificate may; a later one must
     * say it is a CA (basic constraints), and a key usage, if it has one, must include keyCertSign.
     */
    private static String notACa(X509Certificate anchor) {
        if (anchor.getVersion() < 3) {
            return null;
        }
        if (anchor.getBasicConstraints() < 0) {
            return "its basic constraints do not make it a CA";
        }
        boolean[] keyUsage = anchor.getKeyUsage();
        if (keyUsage != null && (keyUsage.length <= 5 || !keyUsage[5])) {
            return "its key usage does not include keyCertSign";
        }
        return null;
    }

    /** Why {@code signer} may not sign code (its key usage extensions), {@code null} when it may. */
    private static String codeSigning(X509Certificate signer) {
        boolean[] keyUsage = signer.getKeyUsage();
        if (keyUsage != null && (keyUsage.length == 0 || !keyUsage[0])) {
            return "whose certificate's key usage does not include digitalSignature, so it may not sign code: sign"
                    + " it with a code-signing certificate";
        }
        List<String> extended;
        try {
            extended = signer.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            return "whose certificate's extended key usage cannot be read (" + Refusal.describe(e) + "): sign it"
                    + " with a code-signing certificate";
        }
        if (extended != null && !extended.contains(CODE_SIGNING) && !extended.contains(ANY_EXTENDED_KEY_USAGE)) {
            return "whose certificate's extended key usage " + extended + " does not include codeSigning ("
                    + CODE_SIGNING + "), so it may not sign code: sign it with a code-signing certificate";
        }
        return null;
    }

    private static String dated(X509Certificate c, Date now) {
        String which = "certificate " + Refusal.quote(Refusal.subject(c));
        if (now.before(c.getNotBefore())) {
            return "whose " + which + " is not valid before " + c.getNotBefore().toInstant() + " (it is "
                    + now.toInstant() + " now): load it then, or sign it with a certificate valid now";
        }
        return "whose " + which + " expired on " + c.getNotAfter().toInstant() + " (it is " + now.toInstant()
                + " now): sign it again with a certificate valid now";
    }

    private static String count(int n) {
        return n == 1 ? "1 certificate" : n + " certificates";
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            // it was decoded from these bytes by the JAR verifier
            throw new IllegalStateException(e);
        }
    }
}
