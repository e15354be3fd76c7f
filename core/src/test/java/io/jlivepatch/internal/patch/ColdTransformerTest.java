package io.jlivepatch.internal.patch;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * jlivepatch's transformer, installed before any {@code VarHandle} call of the JVM was linked, does
 * not break the first one: called for the class that call defines, it must not need that class
 * itself (HookTransformer.warmUp). In a fresh JVM ({@link ColdTransformerDriver}).
 */
class ColdTransformerTest {

    @Test
    void theJvmsFirstVarHandleCallAfterTheInstallationWorks() throws Exception {
        ChildJvm.runOk(ColdTransformerDriver.class, List.of(), List.of(), 120);
    }
}
