package io.jlivepatch.jar;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A JVM with a SecurityManager (JDK 17 to 23) whose policy grants jlivepatch every permission and the
 * application none: a patched method's first calls, on the application's thread, link the replacement
 * and check the patch class's initialization, and what that asks for must be checked against
 * jlivepatch's permissions, not the application's. Before, the JVM refused jlivepatch's StackWalker
 * there and the refusal reached the caller of a generated patch's method at every call (hostile trial:
 * every request of the demo answered 403 once patched), and a hand-written patch failed to link
 * ({@code accessDeclaredMembers}) while {@code load} said it was enabled.
 */
class SecurityManagerTest {

    private static final String TARGET = "smapp.Pricing";
    private static final String CALLER = "smapp.Caller";

    @TempDir
    Path dir;

    @Test
    void aNestmatePatchRunsForAnApplicationWithoutPermissions() throws Exception {
        run("smapp.PricingFix", true);
    }

    @Test
    void aPatchClassLoaderPatchRunsForAnApplicationWithoutPermissions() throws Exception {
        run("smapp.fix.PricingFix", false);
    }

    private void run(String fix, boolean nestmate) throws Exception {
        assumeTrue(Runtime.version().feature() < 24, "no SecurityManager from JDK 24 on");
        Path app = Files.createDirectories(dir.resolve("app/smapp"));
        Files.write(app.resolve("Pricing.class"), GeneratedClasses.target(TARGET, true, 0));
        Files.write(app.resolve("Caller.class"), GeneratedClasses.caller(CALLER, TARGET, "quote"));
        Map<String, String> manifest = Jars.manifest("fix-sm", fix);
        if (nestmate) {
            manifest.put("Livepatch-Nestmates", fix + "=" + TARGET);
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(fix.replace('.', '/') + ".class", GeneratedClasses.fix(fix, TARGET));
        Path jar = Jars.write(dir.resolve("fix-sm.jar"), manifest, entries);
        ChildJvm.runOk(SecurityManagerDriver.class, List.of("-Djava.security.manager=allow"),
                List.of(dir.resolve("app").toString(), jar.toString(), dir.resolve("all.policy").toString()), 60);
    }
}
