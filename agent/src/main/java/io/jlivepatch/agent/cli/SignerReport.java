package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.jar.PatchJarBytes;

import javax.security.auth.x500.X500Principal;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.CodeSigner;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.LinkedHashSet;
import java.util.Locale;
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
        Set<String> signers = new LinkedHashSet<>();
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
                if (e.isDirectory() || isSignatureFile(e.getName())) {
                    continue;
                }
                if (e.getName().equalsIgnoreCase("META-INF/MANIFEST.MF")) {
                    // not the JAR's first entries, where JarInputStream looks (and signatures need it)
                    main = new Manifest(in).getMainAttributes();
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
                    for (CodeSigner s : codeSigners) {
                        signers.add(subject(s));
                    }
                }
            }
        } catch (IOException | SecurityException e) {
            // SecurityException: an entry whose digest does not match its signature (tampered)
            return new SignerReport("signature broken (" + e.getMessage() + ")", main);
        }
        if (signers.isEmpty()) {
            return new SignerReport(UNSIGNED, main);
        }
        String by = String.join(" and ", signers);
        if (unsigned > 0) {
            return new SignerReport(by + ", but " + unsigned + " entr" + (unsigned == 1 ? "y is" : "ies are")
                    + " not signed (" + firstUnsigned + (unsigned > 1 ? ", ..." : "") + ")", main);
        }
        return new SignerReport(by, main);
    }

    private static String subject(CodeSigner s) {
        Certificate first = s.getSignerCertPath().getCertificates().get(0);
        if (first instanceof X509Certificate x) {
            return x.getSubjectX500Principal().getName(X500Principal.RFC2253);
        }
        return first.getType() + " certificate";
    }

    /** The files a signature consists of, which the signature does not cover (as {@code jarsigner} writes them). */
    private static boolean isSignatureFile(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        if (!upper.startsWith("META-INF/") || upper.indexOf('/', "META-INF/".length()) >= 0) {
            return false;
        }
        return upper.endsWith(".SF") || upper.endsWith(".RSA") || upper.endsWith(".DSA") || upper.endsWith(".EC")
                || upper.startsWith("META-INF/SIG-");
    }
}
