package io.jlivepatch.internal.trust;

/**
 * Who signed a patch JAR, as verified.
 *
 * @param signer            the signing certificate's subject, {@code ""} when unsigned
 * @param certificateSha256 the SHA-256 of that certificate's encoding, {@code ""} when unsigned
 */
public record Signature(String signer, String certificateSha256) {

    public static final Signature UNSIGNED = new Signature("", "");

    /**
     * The signer as a record names it: the subject and which certificate, {@code ""} when unsigned.
     * The subject alone cannot tell two certificates of one subject apart (a rotated key, say).
     */
    public String recorded() {
        // a subject cut short, never the digest: the audit log keeps 512 characters of a signer
        String subject = signer.length() > MAX_SUBJECT ? signer.substring(0, MAX_SUBJECT) + "..." : signer;
        return signer.isEmpty() ? "" : subject + " (certificate SHA-256 " + certificateSha256 + ")";
    }

    /** Leaves room in the audit log's 512 characters for the certificate's digest after the subject. */
    private static final int MAX_SUBJECT = 400;
}
