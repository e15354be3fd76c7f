package io.jlivepatch.shadow;

import com.acme.shadow.ShadowDriver;
import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * One shadow store per JVM, seen by every class loader: in a fresh JVM (this one may have used
 * Shadow before installing jlivepatch), see {@link ShadowDriver}.
 */
class ShadowAcrossLoadersTest {

    @Test
    void theApplicationAPatchOfAJdkClassAndTheBootLoaderShareOneStore() throws Exception {
        ChildJvm.runOk(ShadowDriver.class, List.of(), List.of("one"), 120);
    }

    @Test
    void aCopyUsedBeforeTheInstallKeepsWorkingAsAStoreOfItsOwn() throws Exception {
        ChildJvm.runOk(ShadowDriver.class, List.of(), List.of("before"), 120);
    }
}
