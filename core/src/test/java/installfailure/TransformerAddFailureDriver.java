package installfailure;

import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.PatchRegistry;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;

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
        Instrumentation real = ByteBuddyAgent.install();
        List<String> before = InstallFailureUndoneDriver.transformers(real);
        Instrumentation failing = addFails(real);
        for (String attempt : List.of("first", "second")) {
            try {
                Livepatch.install(failing);
                fail("the " + attempt + " install did not fail");
            } catch (OutOfMemoryError expected) {
                System.out.println("the " + attempt + " install failed: " + expected);
            }
            List<String> now = InstallFailureUndoneDriver.transformers(real);
            check(now.equals(before), "the " + attempt + " failed install left transformers: " + now + " (before: "
                    + before + ")");
            check(System.getProperty("jlivepatch.owner") == null, "the " + attempt + " failed install left its claim"
                    + " jlivepatch.owner=" + System.getProperty("jlivepatch.owner"));
            check(PatchRegistry.installed() == null, "the " + attempt + " failed install left its registry");
        }

        Livepatch lp = Livepatch.install(real);
        List<String> after = InstallFailureUndoneDriver.transformers(real);
        System.out.println("after the retry: transformers " + after);
        check(after.stream().filter(n -> n.endsWith(".HookTransformer")).count() == 1,
                "the retry left other than one hook transformer: " + after);
        PatchHandle h = lp.register(Patch.builder("after-two-failures")
                .replace(Target.class.getMethod("value"), Fix.class.getMethod("value")).build());
        h.enable();
        check(h.awaitTransition(Duration.ofSeconds(10)) && Target.value() == 2, "not patched after the retry");
        h.disable();
        check(h.awaitTransition(Duration.ofSeconds(10)) && Target.value() == 1, "not unpatched after the retry");
        System.out.println("RESULT ok");
    }

    /** {@code real}, except that adding a transformer throws, as a JVM out of memory would. */
    private static Instrumentation addFails(Instrumentation real) {
        return (Instrumentation) Proxy.newProxyInstance(Instrumentation.class.getClassLoader(),
                new Class<?>[] {Instrumentation.class}, (proxy, m, a) -> {
                    if (m.getName().equals("addTransformer")) {
                        throw new OutOfMemoryError("Java heap space: injected at addTransformer");
                    }
                    try {
                        return m.invoke(real, a);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            fail(what);
        }
    }

    private static void fail(String what) {
        System.out.println("FAILED: " + what);
        System.exit(1);
    }
}
