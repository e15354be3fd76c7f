package io.jlivepatch.internal.trust;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.Text;

import java.security.CodeSigner;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** The {@code UNTRUSTED} refusals of this package, and how their messages quote what they name. */
final class Refusal {

    private Refusal() {
    }

    static PatchException of(String message) {
        return new PatchException(PatchException.Reason.UNTRUSTED, null, message);
    }

    static PatchException of(String message, Throwable cause) {
        return new PatchException(PatchException.Reason.UNTRUSTED, null, message, cause);
    }

    /** A name from outside (a path, an entry, a subject) in quotes, cut when long, escaped: one line. */
    static String quote(String value) {
        return "'" + Text.clean(Text.truncate(value, 200)) + "'";
    }

    /** An exception as messages show it: its class and message, one line, cut when long. */
    static String describe(Throwable e) {
        String m = e.getMessage();
        return Text.clean(Text.truncate(e.getClass().getSimpleName() + (m == null ? "" : ": " + m), 300));
    }

    /** A certificate's subject, RFC 2253 ({@code CN=Patch Signer,O=Acme}). */
    static String subject(X509Certificate c) {
        return c.getSubjectX500Principal().getName();
    }

    /** The subjects of the signers' certificates, quoted: {@code 'CN=A', 'CN=B'}. */
    static String subjects(Collection<CodeSigner> signers) {
        List<String> out = new ArrayList<>();
        for (CodeSigner s : signers) {
            List<? extends Certificate> path = s.getSignerCertPath().getCertificates();
            out.add(path.isEmpty() || !(path.get(0) instanceof X509Certificate x) ? "'(no certificate)'"
                    : quote(subject(x)));
        }
        out.sort(null);
        return String.join(", ", out);
    }
}
