package io.jlivepatch.jar;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * An application started with {@code -m} resolves only the modules it needs, and {@code jdk.net}, which reads
 * the user of a command's socket, is seldom one of them: the audit says so and what to do. Before, every
 * record said a bare {@code user unknown} (walked by hand on a modular service).
 */
class NoJdkNetTest {

    @Test
    void theAuditSaysWhyTheUserIsUnknownWithoutJdkNet() throws Exception {
        ChildJvm.runOk(NoJdkNetDriver.class, List.of("--limit-modules",
                "java.base,java.instrument,java.logging,java.management,jdk.attach"), List.of(), 60);
    }
}
