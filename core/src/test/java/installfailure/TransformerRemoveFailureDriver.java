package installfailure;

import io.jlivepatch.Livepatch;
import io.jlivepatch.internal.control.ControlServer;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.lang.instrument.Instrumentation;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static installfailure.InstallFailures.check;
import static installfailure.InstallFailures.count;
import static installfailure.InstallFailures.fail;
import static installfailure.InstallFailures.patchesAndUnpatches;
import static installfailure.InstallFailures.transformers;

/**
 * In a JVM of its own (install is once per JVM): Livepatch.install fails at its last step (injected,
 * as in {@link InstallFailureUndoneDriver}), and its undo cannot remove the hooks' transformer (the
 * removal throws once, as a JVM out of memory there would), so that transformer stays registered.
 * The retry, through the JVM's own Instrumentation, must remove it before it adds its own: one hook
 * transformer in the JVM, not two (each class would be hooked twice). Needs --add-opens
 * java.instrument/sun.instrument to count the transformers.
 */
public final class TransformerRemoveFailureDriver {

    public static void main(String[] args) throws Exception {
        Instrumentation real = ByteBuddyAgent.install();
        AtomicBoolean removalFailed = new AtomicBoolean();
        Instrumentation failing = InstallFailures.failing(real, (m, a) -> m.getName().equals("removeTransformer")
                        && a[0].getClass().getSimpleName().equals("HookTransformer") && !removalFailed.getAndSet(true),
                new OutOfMemoryError("Java heap space: injected at removeTransformer"));
        ControlServer.failNextStartForTests(new OutOfMemoryError("unable to create native thread: injected"));
        try {
            Livepatch.install(failing);
            fail("the install did not fail");
        } catch (OutOfMemoryError expected) {
            System.out.println("the install failed: " + expected + ", suppressed "
                    + java.util.Arrays.toString(expected.getSuppressed()));
        }
        check(removalFailed.get(), "the undo never tried to remove the hook transformer");
        List<String> left = transformers(real);
        System.out.println("after the failure: transformers " + left);
        check(count(left, "HookTransformer") == 1, "the injected removal failure did not leave the transformer: " + left);

        Livepatch lp = Livepatch.install(real);
        List<String> after = transformers(real);
        System.out.println("after the retry: transformers " + after);
        check(count(after, "HookTransformer") == 1, "the retry left " + count(after, "HookTransformer")
                + " hook transformers: " + after);
        patchesAndUnpatches(lp, "after-a-left-transformer");
        System.out.println("RESULT ok");
    }
}
