package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rule that lets a change of hooks use a scan of the loaded classes again (or skip its second
 * look for late classes): it asks about the definitions of its own names only, so the classes a
 * JVM defines all the time elsewhere do not make every look scan again (issue 14), while a
 * definition of one of its names still does.
 */
class HookLedgerQuietTest {

    private static final String TARGET = "com.acme.Target";
    private static final String OTHER = "com.acme.SomethingElse";

    /** A nanoTime strictly after {@code t}: the ledger's times are the clock's, made odd. */
    private static long after(long t) {
        long now;
        while ((now = System.nanoTime()) - t <= 2) {
            Thread.onSpinWait();
        }
        return now;
    }

    @Test
    void namesNeverDefinedAreQuietAtOnce() {
        HookLedger ledger = new HookLedger();
        long scan = System.nanoTime();
        assertTrue(ledger.quietBetween(scan, scan, Set.of(TARGET)));
        assertTrue(ledger.quietBetween(scan, scan + 1_000_000_000L, Set.of(TARGET)), "however long after");
    }

    @Test
    void aDefinitionOfAnotherNameAfterTheScanDoesNotCount() {
        assertNotEquals(HookLedger.bucketOf("com/acme/Target"), HookLedger.bucketOf("com/acme/SomethingElse"),
                "the test's two names fall in different buckets");
        HookLedger ledger = new HookLedger();
        long scan = System.nanoTime();
        ledger.defined(null, "com/acme/SomethingElse");
        long now = after(scan);
        assertTrue(ledger.quietBetween(scan, now, Set.of(TARGET)), "another class's definition");
        assertFalse(ledger.quietBetween(scan, now, Set.of(TARGET, OTHER)), "one of the names defined after the scan");
    }

    @Test
    void aDefinitionOfTheNameAfterTheScanIsNotQuiet() {
        HookLedger ledger = new HookLedger();
        long scan = System.nanoTime();
        after(scan);
        ledger.defined(ClassLoader.getSystemClassLoader(), "com/acme/Target");
        long now = after(System.nanoTime());
        assertFalse(ledger.quietBetween(scan, now, Set.of(TARGET)));
    }

    @Test
    void aDefinitionBeforeTheScanIsQuietOnlyWhileItHadLongerToBecomeVisibleThanHasGoneBySince() {
        HookLedger ledger = new HookLedger();
        long before = System.nanoTime();
        ledger.defined(null, "com/acme/Target"); // its time is between before and defined (made odd: +1 at most)
        long defined = System.nanoTime();
        long scan = after(defined + 1_000);
        assertTrue(ledger.quietBetween(scan, scan + (scan - defined) / 2, Set.of(TARGET)), "soon after the scan");
        assertFalse(ledger.quietBetween(scan, scan + (scan - before) + 10, Set.of(TARGET)), "long after the scan");
    }

    @Test
    void aNestedClassIsLookedUpByItsInternalName() {
        HookLedger ledger = new HookLedger();
        long scan = System.nanoTime();
        after(scan);
        ledger.defined(null, "com/acme/Outer$Inner");
        long now = after(System.nanoTime());
        assertFalse(ledger.quietBetween(scan, now, Set.of("com.acme.Outer$Inner")));
    }
}
