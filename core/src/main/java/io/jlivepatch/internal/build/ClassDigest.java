package io.jlivepatch.internal.build;

/** The digest {@code jlivepatch build} records for each class a patch was built against. */
public final class ClassDigest {

    private ClassDigest() {
    }

    /** Equal for two class files that differ only in what does not change behaviour (debug data, constant-pool order). */
    public static String of(byte[] classFile) {
        return Normalized.digest(classFile);
    }
}
