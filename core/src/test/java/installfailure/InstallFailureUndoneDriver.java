package installfailure;

import io.jlivepatch.Livepatch;
import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.internal.control.ControlServer;
import io.jlivepatch.internal.core.PatchRegistry;
import net.bytebuddy.agent.ByteBuddyAgent;

import javax.management.MBeanServer;
import java.lang.instrument.Instrumentation;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;

import static installfailure.InstallFailures.check;
import static installfailure.InstallFailures.count;
import static installfailure.InstallFailures.fail;
import static installfailure.InstallFailures.leftNothing;
import static installfailure.InstallFailures.patchesAndUnpatches;
import static installfailure.InstallFailures.transformers;

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
        leftNothing("first");

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
        leftNothing("second");

        Livepatch lp = Livepatch.install(inst);
        List<String> after = transformers(inst);
        System.out.println("after the retry: transformers " + after);
        check(count(after, "HookTransformer") == 1, "the retry left " + count(after, "HookTransformer")
                + " hook transformers: " + after);
        check(count(after, "JmxWatch") == 1, "the retry left " + count(after, "JmxWatch") + " JMX watches: " + after);

        patchesAndUnpatches(lp, "after-retry");

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
}
