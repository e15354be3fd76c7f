package io.jlivepatch;

import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * A nested site whose resolution at the end of the outer link runs out of stack or memory is not
 * left unresolved (the original code) until the next change of the patches: {@link DispatchPendingShortageDriver}.
 */
class DispatchPendingShortageTest {

    @Test
    void aNestedSiteWhoseResolutionRanOutOfStackIsResolvedAgain() throws Exception {
        ChildJvm.runOk(DispatchPendingShortageDriver.class, List.of(), List.of(), 120);
    }
}
