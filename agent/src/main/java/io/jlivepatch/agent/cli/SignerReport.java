package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.jar.PatchJarBytes;
import io.jlivepatch.internal.trust.TrustPolicy;

import javax.security.auth.x500.X500Principal;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.CodeSigner;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

/**
 * Who signed a patch JAR, as the JAR says, for {@code inspect}: not a verdict (that is the trust
 * policy's, against a trust store), but what an operator needs to choose the store. Read only from
 * content that {@link CheckedJar} has read under the JAR limits, so the JDK's unbounded JAR reader
 * meets no zip bomb here.
 *
 * @param signer         the signers' subjects, {@code unsigned}, or what is wrong with the signature;
 *                       as the JAR has it (not cleaned)
 * @param mainAttributes the manifest's main attributes
 */
record SignerReport(String signer, Attributes mainAttributes) {

    static final String UNSIGNED = "unsigned";

    static SignerReport of(PatchJarBytes jar) {
        // by certificate, not by subject: anyone can make a certificate of alice's subject
        Set<Certificate> signers = new LinkedHashSet<>();
        // each signed entry's signers, in the JAR's order: the union alone read as if all had signed all
        java.util.Map<String, Set<Certificate>> signedBy = new java.util.LinkedHashMap<>();
        // every name the JAR's reader gives, as the agent's policy gathers them to find a signed entry removed
        Set<String> seen = new java.util.HashSet<>();
        String firstUnsigned = null;
        int unsigned = 0;
        Attributes main = new Attributes();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar.bytes()), true)) {
            Manifest m = in.getManifest();
            if (m != null) {
                main = m.getMainAttributes();
            }
            byte[] buf = new byte[8192];
            JarEntry e;
            while ((e = in.getNextJarEntry()) != null) {
                seen.add(e.getName());
                if (e.getName().equalsIgnoreCase("META-INF/MANIFEST.MF")) {
                    // not the JAR's first entries, where JarInputStream looks (and signatures need it)
                    main = new Manifest(in).getMainAttributes();
                    continue;
                }
                // The agent's rule, the JDK verifier's: a SIG-* file of a longer extension is content that a
                // signature must cover, and this line said a JAR holding one unsigned was signed whole.
                if (e.isDirectory() || TrustPolicy.isSignatureFile(e.getName())) {
                    continue;
                }
                while (in.read(buf) >= 0) {
                    // an entry's signers are known once it has been read to its end, its digest checked
                }
                CodeSigner[] codeSigners = e.getCodeSigners();
                if (codeSigners == null) {
                    unsigned++;
                    firstUnsigned = firstUnsigned == null ? e.getName() : firstUnsigned;
                } else {
                    Set<Certificate> these = new LinkedHashSet<>();
                    for (CodeSigner s : codeSigners) {
                        these.add(s.getSignerCertPath().getCertificates().get(0));
                    }
                    signers.addAll(these);
                    signedBy.put(e.getName(), these);
                }
            }
        } catch (IOException | SecurityException e) {
            // SecurityException: an entry whose digest does not match its signature (tampered)
            return new SignerReport("signature broken (" + e.getMessage() + ")", main);
        }
        if (signers.isEmpty()) {
            return new SignerReport(UNSIGNED, main);
        }
        java.util.Map<Certificate, String> names = names(signers);
        String by = String.join(" and ", names.values());
        String leavesOut;
        try {
            leavesOut = TrustPolicy.signatureFileLeavingOutMainAttributes(jar);
        } catch (IOException e) {
            return new SignerReport("signature broken (" + e.getMessage() + ")", main);
        }
        if (leavesOut != null) {
            // Said before what the entries' signers tell, as the agent refuses it before it reads them: the
            // JDK verified the entries, but the manifest's main attributes printed above may not be the signer's.
            return new SignerReport(by + ", but its signature file '" + leavesOut + "' does not cover the manifest's"
                    + " main attributes (the patch's name, classes and other Livepatch-* attributes, which can be"
                    + " changed without breaking that signature; an agent with a trust store refuses the JAR): build"
                    + " and sign it again with jlivepatch build --sign or jarsigner, which always cover them", main);
        }
        if (unsigned > 0) {
            return new SignerReport(by + ", but " + unsigned + " entr" + (unsigned == 1 ? "y is" : "ies are")
                    + " not signed (" + firstUnsigned + (unsigned > 1 ? ", ..." : "") + ")", main);
        }
        for (java.util.Map.Entry<String, Set<Certificate>> e : signedBy.entrySet()) {
            if (!e.getValue().containsAll(signers)) {
                // an entry added to a signed JAR that its adder then signed whole with a key of their own:
                // the first signer's signature still verifies all it signed, and a trust policy refuses
                // the JAR (JarSigners: the same signers for all), which the union said nothing of
                java.util.List<String> lacking = new java.util.ArrayList<>();
                for (Certificate c : signers) {
                    if (!e.getValue().contains(c)) {
                        lacking.add(names.get(c));
                    }
                }
                return new SignerReport(by + ", but entry '" + e.getKey() + "' is not signed by "
                        + String.join(" and ", lacking) + " (an agent with a trust store refuses a JAR whose entries"
                        + " have different signers: the entry was added or changed after that signer signed)", main);
            }
        }
        String missing;
        try {
            missing = TrustPolicy.signedEntryMissing(jar, seen);
        } catch (IOException e) {
            return new SignerReport("signature broken (" + e.getMessage() + ")", main);
        }
        if (missing != null) {
            // what is there is the signers', but not all they signed: a class or resource gone (the build digests,
            // a carried class) changes what the patch does, and the line said the signers alone, as for the JAR
            // they signed
            return new SignerReport(by + ", but entry '" + missing + "', which its signature covers, is missing"
                    + " (removed after signing; an agent with a trust store refuses the JAR)", main);
        }
        return new SignerReport(by, main);
    }

    /**
     * Each signer's name: its subject, and its certificate's SHA-256 too when another signer's certificate
     * has the same subject (a second signer who made a certificate of the first one's name).
     */
    private static java.util.Map<Certificate, String> names(Set<Certificate> signers) {
        java.util.Map<String, Integer> bySubject = new java.util.HashMap<>();
        for (Certificate c : signers) {
            bySubject.merge(subject(c), 1, Integer::sum);
        }
        java.util.Map<Certificate, String> names = new java.util.LinkedHashMap<>();
        for (Certificate c : signers) {
            String subject = subject(c);
            String sha256;
            try {
                sha256 = io.jlivepatch.internal.Sha256.hex(c.getEncoded());
            } catch (java.security.cert.CertificateEncodingException e) {
                sha256 = null; // read from the JAR by the JDK's verifier: not expected
            }
            names.put(c, bySubject.get(subject) > 1 && sha256 != null ? subject + " (certificate SHA-256 " + sha256
                    + ")" : subject);
        }
        return names;
    }

    private static String subject(Certificate first) {
        if (first instanceof X509Certificate x) {
            return x.getSubjectX500Principal().getName(X500Principal.RFC2253);
        }
        return first.getType() + " certificate";
    }
}
