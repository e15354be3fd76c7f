package installfailure;

import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.internal.control.ControlServer;
import io.jlivepatch.internal.core.PatchRegistry;
import net.bytebuddy.agent.ByteBuddyAgent;

import javax.management.MBeanServer;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * In a JVM of its own (install is once per JVM): Livepatch.install fails at its last step (the
 * control socket's thread cannot start: injected, as a JVM out of native threads would), after the
 * hooks' transformer and the JMX watch were added. The failure must leave the JVM as it was (no
 * transformer, no owner claim, no registry), and so must a retry that fails again after its
 * activation; the next retry must install once: one transformer of each kind, and the MBeans of its
 * registry, not of a failed one's.
 * Needs --add-opens java.instrument/sun.instrument to count the transformers.
 */
public final class InstallFailureUndoneDriver {

    public static final class Target {
        public static int value() {
            return 1;
        }
    }

    public static final class Fix {
        public static int value() {
            return 2;
        }
    }

    public static void main(String[] args) throws Exception {
        Instrumentation inst = ByteBuddyAgent.install();
        List<String> before = transformers(inst);
        ControlServer.failNextStartForTests(new OutOfMemoryError("unable to create native thread: injected"));
        try {
            Livepatch.install(inst);
            fail("the install did not fail");
        } catch (OutOfMemoryError expected) {
            System.out.println("the first install failed: " + expected);
        }
        System.out.println("after the failure: transformers " + transformers(inst) + ", jlivepatch.owner="
                + System.getProperty("jlivepatch.owner") + ", registry " + PatchRegistry.installed());
        check(transformers(inst).equals(before), "the failed install left transformers: " + transformers(inst)
                + " (before it: " + before + ")");
        check(System.getProperty("jlivepatch.owner") == null, "the failed install left its claim jlivepatch.owner="
                + System.getProperty("jlivepatch.owner"));
        check(PatchRegistry.installed() == null, "the failed install left its registry");

        // The retry fails the same way, after the activation that its install runs at once (the
        // bootstrap class path is appended already), which nothing can take back: the third attempt
        // must still install, not be refused as another copy of jlivepatch.
        ControlServer.failNextStartForTests(new OutOfMemoryError("unable to create native thread: injected again"));
        try {
            Livepatch.install(inst);
            fail("the second install did not fail");
        } catch (OutOfMemoryError expected) {
            System.out.println("the second install failed: " + expected);
        }
        check(transformers(inst).equals(before), "the second failed install left transformers: " + transformers(inst)
                + " (before it: " + before + ")");
        check(System.getProperty("jlivepatch.owner") == null, "the second failed install left its claim");
        check(PatchRegistry.installed() == null, "the second failed install left its registry");

        Livepatch lp = Livepatch.install(inst);
        List<String> after = transformers(inst);
        System.out.println("after the retry: transformers " + after);
        check(count(after, "HookTransformer") == 1, "the retry left " + count(after, "HookTransformer")
                + " hook transformers: " + after);
        check(count(after, "JmxWatch") == 1, "the retry left " + count(after, "JmxWatch") + " JMX watches: " + after);

        PatchHandle h = lp.register(Patch.builder("after-retry")
                .replace(Target.class.getMethod("value"), Fix.class.getMethod("value")).build());
        h.enable();
        check(h.awaitTransition(java.time.Duration.ofSeconds(10)) && Target.value() == 2, "not patched after the retry");

        // The MBeans: the failed install's JMX watch, left waiting, must not register its registry's.
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!server.isRegistered(ObjectNames.livepatch()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        check(server.isRegistered(ObjectNames.livepatch()), "no jlivepatch MBean");
        Thread.sleep(500); // a second watch, if any, has had its time
        String[] patches = (String[]) server.getAttribute(ObjectNames.livepatch(), "Patches");
        System.out.println("the MBean's patches: " + Arrays.toString(patches));
        check(patches.length == 1 && patches[0].contains("after-retry"), "the MBean is not the retry's registry's: "
                + Arrays.toString(patches));
        System.out.println("RESULT ok");
    }

    private static int count(List<String> names, String simpleName) {
        int n = 0;
        for (String s : names) {
            if (s.endsWith("." + simpleName)) {
                n++;
            }
        }
        return n;
    }

    /** The class names of the transformers {@code inst} holds, both kinds (retransformation capable or not). */
    static List<String> transformers(Instrumentation inst) throws ReflectiveOperationException {
        List<String> names = new ArrayList<>();
        for (Field m : inst.getClass().getDeclaredFields()) {
            if (!m.getType().getName().endsWith("TransformerManager")) {
                continue;
            }
            m.setAccessible(true);
            Object manager = m.get(inst);
            if (manager == null) {
                continue;
            }
            for (Field l : manager.getClass().getDeclaredFields()) {
                if (!l.getType().isArray()) {
                    continue;
                }
                l.setAccessible(true);
                Object list = l.get(manager);
                for (int i = 0; list != null && i < Array.getLength(list); i++) {
                    Object info = Array.get(list, i);
                    for (Field t : info.getClass().getDeclaredFields()) {
                        if (ClassFileTransformer.class.isAssignableFrom(t.getType())) {
                            t.setAccessible(true);
                            names.add(t.get(info).getClass().getName());
                        }
                    }
                }
            }
        }
        return names;
    }

    /** With -Dobserve=true (run by hand) a failed check is printed and the rest still runs: what a retry then meets. */
    private static void check(boolean ok, String what) {
        if (!ok && Boolean.getBoolean("observe")) {
            System.out.println("FAILED (going on to observe the rest): " + what);
        } else if (!ok) {
            fail(what);
        }
    }

    private static void fail(String what) {
        System.out.println("FAILED: " + what);
        System.exit(1);
    }
}
