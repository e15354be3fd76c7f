package io.jlivepatch.internal.patch;

import io.jlivepatch.Patch;
import io.jlivepatch.internal.core.AuditFile;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Run in a fresh JVM by {@code ExitingCallbackTest}: writes its audit file to {@code args[0]}; a register
 * (requester {@code pid 4242 user alice}) is the JVM's first operation and waits, before jlivepatch's lock,
 * in the hooks' activation for a stretch of jlivepatch's code begun before it that activation cannot mark
 * (every slot taken, as in {@link RegistryStretchDriver}'s {@code unslotted}; the wait's bound is ten minutes),
 * while the main thread ends the JVM with {@code System.exit(3)}. {@code args[1]}: {@code api}, the API's
 * entry ({@code register(Patch)}, whose mark activates); {@code sources}, the registry's with replacement
 * sources, which marks nothing before its operation's own stretch before the lock, where it activates;
 * {@code oom}: see {@link #outOfMemoryAtActivation}.
 */
public final class ActivationExitDriver {

    private ActivationExitDriver() {
    }

    public static String none() {
        return "patched none";
    }

    public static void main(String[] args) throws Exception {
        AuditFile.configure(Path.of(args[0]));
        RecursionGuard.stretchWait(TimeUnit.MINUTES.toNanos(10));
        PatchRegistry registry = PatchRegistry.install(ByteBuddyAgent.install());
        if (args[1].equals("oom")) {
            outOfMemoryAtActivation(registry);
            return;
        }
        CountDownLatch never = new CountDownLatch(1);
        for (int i = 0; i < 17; i++) { // the slots, and one past them: activation waits for that one
            new StretchTestSupport.HeldStretch("jlivepatch-test-filler-" + i, never);
        }
        Patch patch = Patch.builder("exiting").replace(testapp.Overloads.class.getMethod("f"),
                ActivationExitDriver.class.getMethod("none")).build();
        ReplacementSource source = ReplacementSource.fixed(MethodHandles.lookup().findStatic(ActivationExitDriver.class,
                "none", MethodType.methodType(String.class)));
        Thread operation = new Thread(() -> {
            Requester.enter("pid 4242 user alice");
            try {
                if (args[1].equals("api")) {
                    registry.register(patch);
                } else {
                    registry.register(patch, List.of(source)); // unmarked: its activation is the operation's
                }
            } catch (Exception e) {
                e.printStackTrace();
            }
        }, "operator");
        operation.setDaemon(true);
        operation.start();
        String notWaiting = StretchTestSupport.awaitWaiting(operation);
        StretchTestSupport.checkInChild(notWaiting == null, notWaiting);
        System.exit(3);
    }

    /**
     * {@code oom}: the JVM's first register runs out of memory in the hooks' activation (its first
     * step, nothing changed), which comes out of {@code register}; the same register again, on another
     * thread, activates and succeeds; then the JVM exits.
     */
    private static void outOfMemoryAtActivation(PatchRegistry registry) throws Exception {
        Patch patch = Patch.builder("exiting").replace(testapp.Overloads.class.getMethod("f"),
                ActivationExitDriver.class.getMethod("none")).build();
        Requester.enter("pid 4242 user alice");
        HookManager.activationFailureForTests = new OutOfMemoryError("test: the activation's first step");
        try {
            registry.register(patch);
            StretchTestSupport.checkInChild(false, "the register did not meet the activation's failure");
        } catch (OutOfMemoryError expected) {
            // as memory running out there
        }
        // Again, on a thread of its own: this thread's own next operation would run inside one left under
        // way, whose line the next one's would then be.
        Thread again = new Thread(() -> {
            Requester.enter("pid 4242 user alice");
            try {
                registry.register(patch);
            } catch (Exception e) {
                e.printStackTrace();
            }
        }, "operator");
        again.start();
        again.join();
        System.exit(3);
    }
}
