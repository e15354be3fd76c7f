package installfailure;

import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.control.ControlServer;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * In a JVM of its own (install is once per JVM): Livepatch.install fails at its last step (injected,
 * as in {@link InstallFailureUndoneDriver}), and its undo cannot remove the hooks' transformer (the
 * removal throws once, as a JVM out of memory there would), so that transformer stays registered.
 * The retry, through the JVM's own Instrumentation, must remove it before it adds its own: one hook
 * transformer in the JVM, not two (each class would be hooked twice). Needs --add-opens
 * java.instrument/sun.instrument to count the transformers.
 */
public final class TransformerRemoveFailureDriver {

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
        AtomicBoolean removalFailed = new AtomicBoolean();
        Instrumentation failing = hookRemovalFailsOnce(real, removalFailed);
        ControlServer.failNextStartForTests(new OutOfMemoryError("unable to create native thread: injected"));
        try {
            Livepatch.install(failing);
            fail("the install did not fail");
        } catch (OutOfMemoryError expected) {
            System.out.println("the install failed: " + expected + ", suppressed "
                    + java.util.Arrays.toString(expected.getSuppressed()));
        }
        check(removalFailed.get(), "the undo never tried to remove the hook transformer");
        List<String> left = InstallFailureUndoneDriver.transformers(real);
        System.out.println("after the failure: transformers " + left);
        check(hookTransformers(left) == 1, "the injected removal failure did not leave the transformer: " + left);

        Livepatch lp = Livepatch.install(real);
        List<String> after = InstallFailureUndoneDriver.transformers(real);
        System.out.println("after the retry: transformers " + after);
        check(hookTransformers(after) == 1, "the retry left " + hookTransformers(after) + " hook transformers: "
                + after);
        PatchHandle h = lp.register(Patch.builder("after-a-left-transformer")
                .replace(Target.class.getMethod("value"), Fix.class.getMethod("value")).build());
        h.enable();
        check(h.awaitTransition(Duration.ofSeconds(10)) && Target.value() == 2, "not patched after the retry");
        h.disable();
        check(h.awaitTransition(Duration.ofSeconds(10)) && Target.value() == 1, "not unpatched after the retry");
        System.out.println("RESULT ok");
    }

    private static long hookTransformers(List<String> names) {
        return names.stream().filter(n -> n.endsWith(".HookTransformer")).count();
    }

    /** {@code real}, except that the first removal of a hook transformer throws, as out of memory would. */
    private static Instrumentation hookRemovalFailsOnce(Instrumentation real, AtomicBoolean failed) {
        return (Instrumentation) Proxy.newProxyInstance(Instrumentation.class.getClassLoader(),
                new Class<?>[] {Instrumentation.class}, (proxy, m, a) -> {
                    if (m.getName().equals("removeTransformer") && a[0].getClass().getSimpleName().equals("HookTransformer")
                            && !failed.getAndSet(true)) {
                        throw new OutOfMemoryError("Java heap space: injected at removeTransformer");
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
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }

    private static void fail(String what) {
        check(false, what);
    }
}
