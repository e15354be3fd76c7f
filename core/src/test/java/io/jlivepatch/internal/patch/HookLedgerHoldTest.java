package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JVM's exit ends every hold of the link events behind an operation's line (HookLedger.endHolds)
 * and none may begin after it: the exit writes what is queued, and counts what it could not, through
 * nextFailure, which returns nothing held.
 */
class HookLedgerHoldTest {

    /**
     * The exit lands between an operation's look at whether holds have ended and its hold (the exit
     * takes no lock the operation holds). Before, the hold began all the same, after endHolds: the
     * events queued from then on were neither written at the exit nor counted as not recorded.
     */
    @Test
    void aHoldBegunAsTheExitEndsTheHoldsHoldsNothing() {
        HookLedger ledger = new HookLedger();
        ledger.failureReader(Thread.currentThread()); // events are queued (and unpark this thread: harmless)
        ledger.afterHoldCheckForTests = ledger::endHolds;
        ledger.holdFromNow("'enable p by api'");
        ledger.applied(null, "com/acme/Late", "defined after the patch was enabled: hooked as it was defined",
                List.of("p"));
        assertTrue(ledger.failuresWaiting(), "the exit's writer has work");
        assertNotNull(ledger.nextFailure(), "held after the exit ended the holds: never written nor counted");
    }

    /** What the exit's end of the holds is for: an event held behind a line that never comes is written. */
    @Test
    void theExitEndsAHoldThatBeganBeforeIt() {
        HookLedger ledger = new HookLedger();
        ledger.failureReader(Thread.currentThread());
        ledger.holdFromNow("'enable p by api'");
        ledger.applied(null, "com/acme/Late", "defined after the patch was enabled: hooked as it was defined",
                List.of("p"));
        assertTrue(ledger.nextFailure() == null, "held behind the operation's line");
        ledger.endHolds();
        assertNotNull(ledger.nextFailure());
    }
}
