package io.jlivepatch.internal.format;

import io.jlivepatch.internal.Sha256;

/** The digests {@code jlivepatch build} records for each class a patch was built against. */
public final class ClassDigest {

    private ClassDigest() {
    }

    /** Equal for two class files that differ only in what does not change behaviour (debug data, constant-pool order). */
    public static String of(byte[] classFile) {
        return Normalized.digest(classFile);
    }

    /**
     * The SHA-256 of the class file's bytes: equal means the very same class file, so {@link #of}
     * is equal too. A load compares this first; parsing the class for {@link #of} is needed only
     * when the running class file is not byte for byte the one the patch was built against.
     */
    public static String ofFile(byte[] classFile) {
        return Sha256.hex(classFile);
    }
}
