package io.jlivepatch.jar;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchHandle;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;

/** SecurityManagerDriver, with a second deployment of the application made after the SecurityManager is set (SecurityManagerLateCallbacksTest). */
public final class SecurityManagerLateDriver {

    private SecurityManagerLateDriver() {
    }

    /** The target classes whose prePatch ran (called by the patch JAR's @PrePatch). */
    static final java.util.List<Class<?>> PREPARED = new java.util.concurrent.CopyOnWriteArrayList<>();

    public static void prePatchRan(Class<?> target) {
        PREPARED.add(target);
    }

    @SuppressWarnings("removal")
    public static void main(String[] args) throws Exception {
        Path app = Path.of(args[0]);
        SecurityManagerDriver.grantTheClassPathAlone(Path.of(args[2]));

        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        URL[] classes = {app.toUri().toURL()};
        URLClassLoader first = new URLClassLoader("smapp-0", classes, ClassLoader.getPlatformClassLoader());
        first.loadClass("smapp.Pricing");
        PatchHandle h = lp.load(Path.of(args[1]));
        h.enable();
        if (!h.awaitTransition(Duration.ofSeconds(10))) {
            throw new AssertionError("transition");
        }
        System.setSecurityManager(new SecurityManager());
        // a redeployment: defined by the driver (every permission), first called by the application (none)
        URLClassLoader second = new URLClassLoader("smapp-1", classes, ClassLoader.getPlatformClassLoader());
        Class<?> caller = second.loadClass("smapp.Caller");
        boolean lazy = Boolean.getBoolean("review.lazy");
        Class<?> latePricing = lazy ? null : second.loadClass("smapp.Pricing");
        int r;
        try {
            r = (int) caller.getMethod("run", int.class).invoke(null, 7);
            for (int i = 0; i < 4; i++) {
                caller.getMethod("run", int.class).invoke(null, 7);
            }
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw new AssertionError("the patched method's call failed: " + e.getCause(), e.getCause());
        }
        StringBuilder where = new StringBuilder();
        FunctionStatus.LoaderStatus late = null;
        for (FunctionStatus.LoaderStatus s : h.functions().get(0).loaders()) {
            where.append(s).append("; ");
            if (s.classLoader().contains("smapp-1")) {
                late = s;
            }
        }
        boolean prepared = lazy || PREPARED.contains(latePricing);
        // DESIGN: a class defined while the patch is enabled gets prePatch before its first redirected
        // call. Its callbacks run with jlivepatch's permissions, so the prePatch runs and the patch with it.
        boolean patchedAfterPrePatch = prepared && r == 70 && late != null && late.state() == FunctionStatus.State.PATCHED;
        if (!patchedAfterPrePatch) {
            throw new AssertionError("smapp-1: prePatch ran: " + prepared + ", the call returned " + r + ", status: " + where);
        }
        System.out.println("RESULT ok");
    }
}
