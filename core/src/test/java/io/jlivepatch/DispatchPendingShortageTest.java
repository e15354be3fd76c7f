package io.jlivepatch;

import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * A nested site (linked while the linker links another) is never bound unresolved, running the
 * original code until the next change of the patches: not when its resolution at the end of the
 * outer link runs out of stack or memory, nor when its own first link had
 * ({@link DispatchPendingShortageDriver}, one mode each).
 */
class DispatchPendingShortageTest {

    @Test
    void aNestedSiteWhoseResolutionRanOutOfStackIsResolvedAgain() throws Exception {
        ChildJvm.runOk(DispatchPendingShortageDriver.class, List.of(), List.of("resolution"), 120);
    }

    /** A site whose own first link ran out of stack, then linked nested. */
    @Test
    void aSiteWhoseFirstLinkRanOutOfStackIsResolvedWhenItsNextLinkIsNested() throws Exception {
        ChildJvm.runOk(DispatchPendingShortageDriver.class, List.of(), List.of("first-link"), 120);
    }
}
