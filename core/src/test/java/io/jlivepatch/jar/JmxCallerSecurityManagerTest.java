package io.jlivepatch.jar;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Under a SecurityManager (JDK 17 to 23) whose policy grants jlivepatch every permission, as README requires, a
 * change asked through a JMX connector that authenticated its client names the client ({@code jmx user alice}), as
 * without one (JmxAuthenticatedCallerAuditTest). The connector runs the call in the client subject's context, whose
 * domain has only what the policy grants that subject: JmxCaller's read of the subject must be jlivepatch's to make.
 * In a JVM of its own ({@link JmxCallerSecurityManagerDriver}); the bound is a hang detector.
 */
class JmxCallerSecurityManagerTest {

    @TempDir
    Path dir;

    @Test
    void anAuthenticatedJmxClientIsNamedUnderASecurityManager() throws Exception {
        assumeTrue(Runtime.version().feature() < 24, "no SecurityManager from JDK 24 on");
        String name = "fix-jmx-sm";
        Path jar = Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, Jars.FIX), Jars.classes(Jars.FIX));
        ChildJvm.runOk(JmxCallerSecurityManagerDriver.class, List.of("-Djava.security.manager=allow"),
                List.of(jar.toString(), dir.resolve("all.policy").toString()), 120);
    }

    /**
     * jlivepatch's own work for such a client (the transition's thread, the MBeans' registration, the JAR's read) is
     * done with jlivepatch's permissions, not the client's: an enable was refused INTERNAL_ERROR (modifyThreadGroup).
     */
    @Test
    void anAuthenticatedJmxClientTakesAPatchThroughItsLifeCycleUnderASecurityManager() throws Exception {
        assumeTrue(Runtime.version().feature() < 24, "no SecurityManager from JDK 24 on");
        String name = "fix-jmx-sm-life";
        Path jar = Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, Jars.FIX), Jars.classes(Jars.FIX));
        ChildJvm.runOk(JmxLifeCycleSecurityManagerDriver.class, List.of("-Djava.security.manager=allow"),
                List.of(jar.toString(), dir.resolve("all.policy").toString()), 120);
    }
}
