package io.jlivepatch.jar;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchHandle;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@link SecurityManagerTest}'s JVM: args are the application's class directory (no permission), the
 * patch JAR and where to write the policy, which grants every entry of the class path (jlivepatch,
 * the tests, ASM, Byte Buddy) every permission. The application's caller runs the patched method
 * under the SecurityManager, its own frame the one without permissions.
 */
public final class SecurityManagerDriver {

    private SecurityManagerDriver() {
    }

    @SuppressWarnings("removal") // the SecurityManager under test
    public static void main(String[] args) throws Exception {
        Path app = Path.of(args[0]);
        grantTheClassPathAlone(Path.of(args[2]));

        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        URLClassLoader loader = new URLClassLoader("smapp", new URL[] {app.toUri().toURL()},
                ClassLoader.getPlatformClassLoader());
        Class<?> caller = loader.loadClass("smapp.Caller");
        loader.loadClass("smapp.Pricing");
        PatchHandle h = lp.load(Path.of(args[1]));
        h.enable();
        if (!h.awaitTransition(Duration.ofSeconds(10))) {
            throw new AssertionError("transition");
        }
        System.setSecurityManager(new SecurityManager());
        int r;
        try {
            r = (int) caller.getMethod("run", int.class).invoke(null, 7);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw new AssertionError("the patched method's call failed: " + e.getCause(), e.getCause());
        }
        FunctionStatus.LoaderStatus where = h.functions().get(0).loaders().get(0);
        if (r != 70 || where.state() != FunctionStatus.State.PATCHED) {
            throw new AssertionError("expected the patch's 70, PATCHED; got " + r + ", " + where);
        }
        System.out.println("RESULT ok");
    }

    /**
     * Writes {@code policyFile}, granting every entry of the class path (jlivepatch, the test's code)
     * every permission and nothing else anything, and makes it the policy of the SecurityManager set later.
     */
    static void grantTheClassPathAlone(Path policyFile) throws java.io.IOException {
        StringBuilder policy = new StringBuilder();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String url = Path.of(entry).toUri().toURL().toString();
            policy.append("grant codeBase \"").append(url.endsWith("/") ? url + "-" : url)
                    .append("\" { permission java.security.AllPermission; };\n");
        }
        Files.writeString(policyFile, policy);
        System.setProperty("java.security.policy", "=" + policyFile); // '=': this file alone
    }
}
