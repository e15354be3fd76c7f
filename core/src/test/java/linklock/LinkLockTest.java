package linklock;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * A hook's first link never holds jlivepatch's link lock while it waits for a class loader's lock: an
 * application thread that holds that loader lock may need the link lock for a hook of its own (a
 * review's deadlock). In a JVM of its own: a deadlock would leave the lock held for the JVM's life.
 */
class LinkLockTest {

    @Test
    void aFirstLinkWaitingForALoadersLockHoldsNoLockAThreadLoadingClassesNeeds() throws Exception {
        ChildJvm.runOk(LinkLockDriver.class, List.of(), List.of(), 90);
    }
}
