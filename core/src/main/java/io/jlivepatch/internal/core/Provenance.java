package io.jlivepatch.internal.core;

import java.time.Instant;
import java.util.Map;

/**
 * Where a registered patch came from, for {@code status} and the audit log: which file, which
 * content, who made it, who asked for it and when (the kernel's module signature and
 * {@code dmesg} line, together).
 *
 * @param source    the patch JAR's path as the requester named it, or {@code ""} for a patch built in code
 * @param sha256    the SHA-256 of the JAR's bytes that were checked and loaded, or {@code ""}
 * @param signer    the subject of the certificate that signed the JAR, or {@code ""} when unsigned
 * @param builds    the build hashes of its manifest ({@code Livepatch-Old-Build-SHA256}, ...), by attribute
 * @param loadedAt  when it was registered
 * @param requester who asked: {@code pid N user U} over the command's channel, else {@code api},
 *                  {@code jmx} ({@code jmx user U} for a client its JMX connector authenticated) or {@code startup}
 */
public record Provenance(String source, String sha256, String signer, Map<String, String> builds,
                         Instant loadedAt, String requester) {

    public Provenance {
        builds = Map.copyOf(builds);
    }

    /** A patch built in code and registered through the API or JMX. */
    static Provenance inCode(String requester) {
        return new Provenance("", "", "", Map.of(), Instant.now(), requester);
    }
}
