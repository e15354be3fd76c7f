package io.jlivepatch.internal.patch;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * The ledger's lock is never left held by a thread whose stack ran out while it recorded a class's
 * hooks or a link (the transformer and the linker run at whatever depth the application's thread
 * is). In a fresh JVM ({@link HookLedgerStackEdgeDriver}); it never waits for the lock, so a lock left
 * held fails it rather than hanging it.
 */
class HookLedgerStackEdgeTest {

    @Test
    void theLockIsFreeAfterEveryRecordAtTheStacksEdge() throws Exception {
        ChildJvm.runOk(HookLedgerStackEdgeDriver.class, List.of(), List.of(), 300);
    }
}
