package installfailure;

import io.jlivepatch.Livepatch;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.patch.HookManager;
import io.jlivepatch.internal.patch.RecursionGuard;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Field;
import java.util.List;

import static installfailure.InstallFailures.check;
import static installfailure.InstallFailures.count;
import static installfailure.InstallFailures.fail;
import static installfailure.InstallFailures.leftNothing;
import static installfailure.InstallFailures.patchesAndUnpatches;
import static installfailure.InstallFailures.transformers;

/**
 * In a JVM of its own (install is once per JVM): the registry's construction (PatchRegistry.install)
 * fails at its last step, after it handed the hooks its lock and its late callbacks (injected, as the
 * link audit's thread out of memory would), twice: the first time before the hooks are active, the
 * second after (the retry activates at once, and nothing takes an activation back, so the third
 * attempt takes that manager up again). Each failure leaves no transformer, no claim, no registry and
 * no recursion guard that activates the failed hooks; the third attempt installs once, its hooks hold
 * its own registry's lock and callbacks, not the failed one's, and it patches. Needs --add-opens
 * java.instrument/sun.instrument to count the transformers.
 */
public final class RegistryConstructionFailureDriver {

    public static void main(String[] args) throws Exception {
        Instrumentation inst = ByteBuddyAgent.install();
        List<String> before = transformers(inst);
        for (String attempt : List.of("first", "second")) {
            PatchRegistry.failNextConstructionForTests(new OutOfMemoryError("unable to create native thread: injected"));
            try {
                Livepatch.install(inst);
                fail("the " + attempt + " install did not fail");
            } catch (OutOfMemoryError expected) {
                System.out.println("the " + attempt + " install failed: " + expected);
            }
            List<String> now = transformers(inst);
            check(now.equals(before), "the " + attempt + " failed install left transformers: " + now + " (before: "
                    + before + ")");
            leftNothing(attempt);
            check(field(RecursionGuard.class, null, "activator") == null, "the " + attempt + " failed install left"
                    + " the recursion guard activating its hooks");
        }

        Livepatch lp = Livepatch.install(inst);
        List<String> after = transformers(inst);
        System.out.println("after the retry: transformers " + after);
        check(count(after, "HookTransformer") == 1, "the retry left other than one hook transformer: " + after);
        PatchRegistry registry = PatchRegistry.installed();
        HookManager hooks = (HookManager) field(PatchRegistry.class, registry, "hooks");
        check(field(HookManager.class, hooks, "lifecycle") == field(PatchRegistry.class, registry, "klpMutex"),
                "the hooks follow the definitions in flight under a failed registry's lock");
        check(field(HookManager.class, hooks, "callbacks") == field(PatchRegistry.class, registry, "late"),
                "the hooks run the late callbacks of a failed registry");
        patchesAndUnpatches(lp, "after-two-construction-failures");
        System.out.println("RESULT ok");
    }

    private static Object field(Class<?> owner, Object of, String name) throws ReflectiveOperationException {
        Field f = owner.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(of);
    }
}
