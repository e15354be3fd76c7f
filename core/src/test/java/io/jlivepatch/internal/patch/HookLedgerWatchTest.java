package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HookLedger.watch finds a definition of a name it starts watching that entered the transformer
 * before, unrecorded: the last one of that name's bucket, known by name and loader identity hash.
 */
class HookLedgerWatchTest {

    private static final String TARGET = "com.acme.Target";

    @Test
    void aDefinitionThatEnteredBeforeItsNameWasWatchedIsRecordedAndKnownByItsLoader() {
        HookLedger ledger = new HookLedger();
        String self = HookLedgerWatchTest.class.getName();
        ledger.entering(HookLedgerWatchTest.class.getClassLoader(), self.replace('.', '/'));
        ledger.watch(Set.of(self));
        List<InFlight.Definition> records = ledger.inFlight().all();
        assertEquals(1, records.size(), records.toString());
        InFlight.Definition d = records.get(0);
        assertEquals(self, d.name);
        assertTrue(d.of(HookLedgerWatchTest.class), "its class, in its loader");
        assertFalse(d.of(String.class), "another class");
        assertFalse(d.gone(), "a loader known by hash is never taken for collected");

        HookLedger boot = new HookLedger();
        boot.entering(null, self.replace('.', '/'));
        boot.watch(Set.of(self));
        assertFalse(boot.inFlight().all().get(0).of(HookLedgerWatchTest.class), "that name in another loader");
    }

    @Test
    void noRecordForANameWatchedBeforeNorForAnotherNameOfTheBucketNorForNothingDefined() {
        HookLedger ledger = new HookLedger();
        ledger.watch(Set.of(TARGET)); // nothing of it entered: nothing to record
        assertTrue(ledger.inFlight().isEmpty());

        ledger.entering(null, "com/acme/Target");
        ledger.watch(Set.of(TARGET, "com.acme.Other")); // watched already: the transformer records its own
        assertTrue(ledger.inFlight().isEmpty(), "recorded twice");

        HookLedger fresh = new HookLedger();
        fresh.entering(null, "com/acme/SomethingElse");
        fresh.watch(Set.of(TARGET));
        assertTrue(fresh.inFlight().isEmpty(), "another name's definition taken for the target's");
    }
}
