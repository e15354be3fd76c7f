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
        return signer.isEmpty() ? "" : signer + " (certificate SHA-256 " + certificateSha256 + ")";
    }
}
