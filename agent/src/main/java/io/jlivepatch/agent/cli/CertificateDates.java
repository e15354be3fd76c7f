package io.jlivepatch.agent.cli;

import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Date;

/**
 * Refuses a signing key whose certificate chain is not valid now: a JVM started with a trust store
 * checks every certificate of the signer's path at load time, without timestamps, so a patch signed
 * with it would be written only to be refused by every JVM that checks it.
 */
final class CertificateDates {

    private CertificateDates() {
    }

    /** Refuses, naming {@code what} (the entry and its store), if a certificate of {@code chain} is not valid now. */
    static void check(Certificate[] chain, String what) throws Refused {
        Date now = new Date();
        for (int i = 0; i < chain.length; i++) {
            if (!(chain[i] instanceof X509Certificate c)) {
                continue;
            }
            String which = (i == 0 ? "its certificate (" : "certificate " + (i + 1) + " of its chain (")
                    + c.getSubjectX500Principal().getName() + ")";
            try {
                c.checkValidity(now);
            } catch (CertificateExpiredException e) {
                throw new Refused(what + ": " + which + " expired on " + c.getNotAfter().toInstant() + ", and a JVM"
                        + " with a trust store refuses what it signs: give --alias a key pair whose certificates are"
                        + " valid (keytool -genkeypair makes one; renew a CA's)", e);
            } catch (CertificateNotYetValidException e) {
                throw new Refused(what + ": " + which + " is not valid before " + c.getNotBefore().toInstant()
                        + ", and a JVM with a trust store refuses what it signs until then: give --alias a key pair"
                        + " whose certificates are valid now, or build the patch from then on", e);
            }
        }
    }
}
