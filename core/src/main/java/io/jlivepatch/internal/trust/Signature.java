package io.jlivepatch.internal.trust;

/**
 * Who signed a patch JAR, as verified.
 *
 * @param signer            the signing certificate's subject, {@code ""} when unsigned
 * @param certificateSha256 the SHA-256 of that certificate's encoding, {@code ""} when unsigned
 */
public record Signature(String signer, String certificateSha256) {

    public static final Signature UNSIGNED = new Signature("", "");
}
