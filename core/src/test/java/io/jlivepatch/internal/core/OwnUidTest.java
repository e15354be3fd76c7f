package io.jlivepatch.internal.core;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

/**
 * The audit file's owner is compared with this process's uid also on a runtime without
 * jdk.security.auth (a jlink'ed image): from /proc/self, not from user.name, which -Duser.name
 * changes (hostile trial: the real user's own audit file was refused, its records kept in memory only).
 */
class OwnUidTest {

    @TempDir
    Path dir;

    @Test
    void theJvmsOwnAuditFileOpensWithoutJdkSecurityAuthWhateverUserNameSays() throws Exception {
        ChildJvm.runOk(OwnUidDriver.class, List.of("--limit-modules", "java.base,java.instrument,java.logging,jdk.attach",
                "-Duser.name=somebody-else"), List.of(dir.resolve("audit.jsonl").toString()), 60);
    }
}
