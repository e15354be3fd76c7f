package io.jlivepatch.internal.core;

import java.nio.file.Path;

/**
 * The audit log on disk ({@code audit=<file>}): every record appended as one JSON line to a file
 * created 0600, never truncated, so that it survives a restart. One per JVM.
 */
public final class AuditFile {

    private AuditFile() {
    }

    /** From now on, appends every audit record to {@code file}; a file that cannot be written is logged and shown in status. */
    public static void configure(Path file) {
        throw new UnsupportedOperationException("audit file: being implemented (issue 11)");
    }
}
