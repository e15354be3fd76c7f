package io.jlivepatch.jar;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A JVM with a SecurityManager (JDK 17 to 23) whose policy grants jlivepatch every permission and the
 * application none: during a transition, an application thread that calls a patched method moves itself
 * at the hook once its own stack is clean, and the walk of that stack must be checked against
 * jlivepatch's permissions. It was the application's: the call failed with an AccessControlException
 * for {@code getStackWalkerWithClassReference} for as long as the transition lasted.
 */
class SecurityManagerTransitionTest {

    @TempDir
    Path dir;

    @Test
    void anApplicationThreadWithoutPermissionsMovesItselfDuringATransition() throws Exception {
        assumeTrue(Runtime.version().feature() < 24, "no SecurityManager from JDK 24 on");
        Path app = Files.createDirectories(dir.resolve("app"));
        for (Map.Entry<String, byte[]> e : Jars.classes("smhold.Slow", "smhold.Caller").entrySet()) {
            Path f = app.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.write(f, e.getValue());
        }
        String fix = "smhold.fix.SlowFix";
        Path jar = Jars.write(dir.resolve("fix-sm-transition.jar"), Jars.manifest("fix-sm-transition", fix),
                Jars.classes(fix));
        ChildJvm.runOk(SecurityManagerTransitionDriver.class, List.of("-Djava.security.manager=allow"),
                List.of(app.toString(), jar.toString(), dir.resolve("all.policy").toString()), 90);
    }
}
