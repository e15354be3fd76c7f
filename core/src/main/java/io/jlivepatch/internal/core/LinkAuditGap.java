package io.jlivepatch.internal.core;

import io.jlivepatch.internal.patch.HookLedger;

import java.time.Instant;

/**
 * The words of a gap in the link records ({@link LinkFailureAudit}): events of the ledger that never
 * became a log line nor an audit record, because their queue was full ({@link HookLedger#MAX_QUEUED_FAILURES})
 * while the link-audit thread was blocked, or while the events were held back behind an operation's line
 * ({@link HookLedger#holdFromNow}), or the JVM exited before they were written. Recorded as operation
 * {@code audit-gap}, subject {@code link}, as the audit file notes its own gaps ({@code audit-gap}): a
 * reader looking for what the trail lacks finds both. Loaded at the first gap only.
 */
final class LinkAuditGap {

    private LinkAuditGap() {
    }

    /**
     * {@code 11 link events were not recorded since 2026-12-01T13:10:00Z: 10 classes hooked as they were
     * defined, 1 link failure (...)}: {@code dropped} as {@link HookLedger#takeDropped} gives it, and why
     * the queue was full: the link-audit thread was blocked, or (for those of slot
     * {@link HookLedger#DROPPED_HELD}) the events waited, held back behind the line of operation
     * {@code behind} ({@link HookLedger#droppedBehind}, null when not known), which it was not slow for.
     */
    static String overflow(long[] dropped, long sinceMillis, int bound, String behind) {
        long total = total(dropped);
        long held = Math.min(dropped[HookLedger.DROPPED_HELD], total);
        String blocked = "jlivepatch's link-audit thread was blocked, writing the log or an audit record, while " + bound
                + " events waited for it";
        String heldBack = bound + " events waited, held back behind the line of " + (behind == null ? "an operation"
                : "operation " + behind) + " until it was made (a class an operation hooks is on record after its line)";
        String why = held == 0 ? blocked : held == total ? heldBack
                : "for " + (total - held) + " of them, " + blocked + "; for " + held + ", " + heldBack;
        return total + (total == 1 ? " link event was" : " link events were") + " not recorded since "
                + Instant.ofEpochMilli(sinceMillis) + ": " + kinds(dropped) + " (no 'applying patch' line nor link"
                + " record for " + (total == 1 ? "it" : "them") + ": " + why + "; 'jlivepatch status' shows what each"
                + " function runs in each class loader)";
    }

    /**
     * {@code 3 link events were not recorded before the JVM exited: ...}: the events still queued when
     * the exit's wait for them ran out, {@code held} whether it had the link-audit thread's lock (the
     * events were too many for the time) or not (the thread was blocked).
     */
    static String atExit(long[] left, long boundMs, boolean held) {
        long total = total(left);
        return total + (total == 1 ? " link event was" : " link events were") + " not recorded before the JVM"
                + " exited: " + kinds(left) + " (" + (held ? "writing them had not ended within " + boundMs + " ms"
                : "jlivepatch's link-audit thread, blocked writing the log or an audit record, had not let go"
                + " within " + boundMs + " ms") + ")";
    }

    private static long total(long[] counts) {
        return counts[HookLedger.DROPPED_FAILURE] + counts[HookLedger.DROPPED_DEFINED]
                + counts[HookLedger.DROPPED_HOOKED_AGAIN] + counts[HookLedger.DROPPED_UNHOOKED];
    }

    /** {@code 10 classes hooked as they were defined, 1 link failure}: the kinds counted, in that order. */
    private static String kinds(long[] c) {
        StringBuilder sb = new StringBuilder();
        kind(sb, c[HookLedger.DROPPED_DEFINED], " class hooked as it was defined", " classes hooked as they were defined");
        kind(sb, c[HookLedger.DROPPED_HOOKED_AGAIN], " class hooked again once loaded",
                " classes hooked again once loaded");
        kind(sb, c[HookLedger.DROPPED_UNHOOKED], " class whose hooks were taken off once loaded",
                " classes whose hooks were taken off once loaded");
        kind(sb, c[HookLedger.DROPPED_FAILURE], " link failure", " link failures");
        return sb.toString();
    }

    private static void kind(StringBuilder sb, long n, String one, String many) {
        if (n > 0) {
            sb.append(sb.length() == 0 ? "" : ", ").append(n).append(n == 1 ? one : many);
        }
    }
}
