package installfailure;

import io.jlivepatch.Livepatch;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.lang.instrument.Instrumentation;
import java.util.List;

import static installfailure.InstallFailures.check;
import static installfailure.InstallFailures.count;
import static installfailure.InstallFailures.fail;
import static installfailure.InstallFailures.leftNothing;
import static installfailure.InstallFailures.patchesAndUnpatches;
import static installfailure.InstallFailures.transformers;

/**
 * In a JVM of its own (install is once per JVM): the hooks' own installation (HookManager.install)
 * fails at its last step, the transformer's add, twice through an Instrumentation whose add throws
 * (as a JVM out of memory there would): the first time before the hooks are active, the second after
 * (the retry activates at once: the bootstrap class path is appended already, and nothing takes an
 * activation back). Each failure leaves no transformer, no claim and no registry; the third attempt,
 * through the JVM's own Instrumentation, installs once and patches. Needs --add-opens
 * java.instrument/sun.instrument to count the transformers.
 */
public final class TransformerAddFailureDriver {

    public static void main(String[] args) throws Exception {
        Instrumentation real = ByteBuddyAgent.install();
        List<String> before = transformers(real);
        Instrumentation failing = InstallFailures.failing(real, (m, a) -> m.getName().equals("addTransformer"),
                new OutOfMemoryError("Java heap space: injected at addTransformer"));
        for (String attempt : List.of("first", "second")) {
            try {
                Livepatch.install(failing);
                fail("the " + attempt + " install did not fail");
            } catch (OutOfMemoryError expected) {
                System.out.println("the " + attempt + " install failed: " + expected);
            }
            List<String> now = transformers(real);
            check(now.equals(before), "the " + attempt + " failed install left transformers: " + now + " (before: "
                    + before + ")");
            leftNothing(attempt);
        }

        Livepatch lp = Livepatch.install(real);
        List<String> after = transformers(real);
        System.out.println("after the retry: transformers " + after);
        check(count(after, "HookTransformer") == 1, "the retry left other than one hook transformer: " + after);
        patchesAndUnpatches(lp, "after-two-failures");
        System.out.println("RESULT ok");
    }
}
