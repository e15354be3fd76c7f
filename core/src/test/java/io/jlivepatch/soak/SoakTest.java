package io.jlivepatch.soak;

import com.acme.soak.SoakDriver;
import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * Load/unload cycles of a patch JAR under load, in a fresh JVM: no call fails, and metaspace,
 * live classes and threads stop growing. At least 60 cycles, at most 300, for about 40 seconds.
 */
class SoakTest {

    @Test
    void loadUnloadCyclesUnderLoadFailNoCallAndLeakNothing() throws Exception {
        ChildJvm.runOk(SoakDriver.class, List.of(), List.of("60", "300", "40"), 170);
    }
}
