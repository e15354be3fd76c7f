package io.jlivepatch.internal.core;

import java.time.Instant;

/**
 * A patch whose transition was forced and which has been unregistered since: threads that were
 * inside its code when it was forced may still run it, so status keeps listing it (the kernel
 * keeps a forced patch's module for good instead, for the same reason).
 *
 * @param name           the patch's name
 * @param sha256         its JAR's digest, or empty for a patch built in code
 * @param source         where its JAR came from, or empty
 * @param unregisteredAt when it was unregistered
 * @param how            {@code "unregistered"}, or {@code "replaced by 'Q'"} (a cumulative patch)
 */
public record ForcedPatch(String name, String sha256, String source, Instant unregisteredAt, String how) {

    /** How many are kept: the oldest go first (the audit log keeps every one). */
    static final int KEPT = 100;
}
