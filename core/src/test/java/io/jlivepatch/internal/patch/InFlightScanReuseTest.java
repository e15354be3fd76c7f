package io.jlivepatch.internal.patch;

import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.Test;

import java.lang.instrument.Instrumentation;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A look at the loaded classes is used again by a later operation only while no definition of its
 * classes is recorded in flight, nor was recorded or seen loaded since the look: the records, not a
 * time, say whether it can still find every class.
 */
class InFlightScanReuseTest {

    /** A name no class of the test JVM has: only the records decide. */
    private static final String NAME = "testapp.inflight.NeverDefined";

    private final Instrumentation inst = ByteBuddyAgent.install();

    @Test
    void aScanIsUsedAgainOnlyWhileNoDefinitionOfItsClassesIsInFlightOrWasSince() {
        HookLedger ledger = new HookLedger();
        ledger.watch(Set.of(NAME));
        LoadedClasses before = LoadedClasses.snapshot(inst, Set.of(NAME));
        assertTrue(before.stillComplete(ledger), "nothing defined since");

        InFlight.Definition d = ledger.inFlight().add(null, NAME.replace('.', '/'), LinkTable.EMPTY);
        assertFalse(before.stillComplete(ledger), "a definition recorded since the scan");
        LoadedClasses during = LoadedClasses.snapshot(inst, Set.of(NAME));
        assertFalse(during.stillComplete(ledger), "a definition in flight at the scan, and still");

        ledger.inFlight().remove(d);
        assertFalse(during.stillComplete(ledger), "seen loaded since the scan, which may not have it");
        assertTrue(LoadedClasses.snapshot(inst, Set.of(NAME)).stillComplete(ledger), "a scan after it");
    }

    @Test
    void aDefinitionOfAnotherClassDoesNotKeepAScanFromBeingUsedAgainOnceItIsSeen() {
        HookLedger ledger = new HookLedger();
        ledger.watch(Set.of(NAME, "testapp.inflight.Other"));
        InFlight.Definition other = ledger.inFlight().add(null, "testapp/inflight/Other", LinkTable.EMPTY);
        LoadedClasses scan = LoadedClasses.snapshot(inst, Set.of(NAME));
        assertTrue(scan.stillComplete(ledger), "another class's record");
        ledger.inFlight().remove(other);
    }
}
