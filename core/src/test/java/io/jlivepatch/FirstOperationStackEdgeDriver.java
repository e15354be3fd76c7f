package io.jlivepatch;

import java.util.ArrayList;
import java.util.List;

/**
 * Run in a fresh JVM by {@link FirstOperationStackEdgeTest}: the JVM's first operation of jlivepatch's
 * API, asked by the application at the edge of a thread's stack (a patch asked for deep in a
 * recursion), never leaves jlivepatch unusable. That first operation completes the hooks'
 * installation (HookManager.activate), which initializes classes of jlivepatch's and the boot
 * loader's copy of its bootstrap package for the first time: a {@code StackOverflowError} inside a
 * static initializer marks its class erroneous for the JVM's life, and every later operation would
 * fail (NoClassDefFoundError, then a refusal "until the JVM restarts").
 *
 * <p>A first operation can be tried only once per JVM with effect, so the sweep runs the other way
 * round from {@link StackEdgeSweep}'s: from past the edge of its probe
 * ({@link StackEdgeSweep#edge}) towards room, one frame at a time, each attempt StackEdgeSweep's
 * recursion on a fresh thread ({@link StackEdgeSweep#run}); each overflowing attempt gets a little
 * further into the work than the one before, until one completes (or is refused). The recursion
 * runs interpreted (the test excludes StackEdgeSweep's {@code down} from the JIT), so that one
 * frame less is a fixed step of stack; and the threads' stacks are larger than any other thread's
 * of the JVM (2 MB), so that none is handed the cached stack of an ended thread, larger than asked
 * for (the C library's stack cache: a 512 KB thread then had twice the room now and then, and the
 * sweep's start was not past its edge). The test turns the verification of application classes off,
 * as {@code -noverify} start scripts and pre-verified classes do: else the verifier's own depth, at
 * the first class of activation that it checks, happens to overflow before any initializer on JDK
 * 17 and 25, which hid the defect. Then an operation with room must work: the patch registers,
 * enables and runs. Prints {@code RESULT ok}. Before, the boot loader's Recursion overflowed in its
 * initializer, and every later operation was refused (NoClassDefFoundError).
 *
 * <p>{@code args[0]}: {@code register} (the API's register: the JVM's first operation, which
 * installs the hooks) or {@code enable} (registered with room, so installed: the first enable, whose
 * transition and hooks initialize classes of their own for the first time).
 */
public final class FirstOperationStackEdgeDriver {

    private static final int STACK_BYTES = 2 * 1024 * 1024;
    /** Frames past the probe's edge the sweep starts at, so that the first attempts reach nothing. */
    private static final int PAST_EDGE = 40;

    public static String patchedGet(Object self) {
        return "patched";
    }

    /**
     * What the attempt at the bottom ended with, and what it threw instead (an overflow, or an error the
     * operation let out); written by its thread, read after the join.
     */
    private static volatile String outcome;
    private static volatile Throwable thrown;
    private static String mode;
    private static Livepatch lp;
    private static PatchHandle registered;
    private static int attempts;

    private FirstOperationStackEdgeDriver() {
    }

    public static void main(String[] args) throws Exception {
        mode = args[0];
        lp = TestSupport.livepatch(); // the agent's part, with room: what premain or an attach does
        if (mode.equals("enable")) {
            registered = lp.register(patch("edge-first"));
        }
        int edge = StackEdgeSweep.edge(STACK_BYTES);
        List<String> overflows = new ArrayList<>();
        int bottoms = 0;
        String ended = null;
        String last = null;
        for (int depth = edge + PAST_EDGE; depth > 0 && ended == null; depth--) {
            String result = attempt(depth);
            if (result != null) {
                bottoms++;
                if (result.startsWith("overflow")) {
                    if (!result.equals(last)) {
                        overflows.add(depth + ": " + result);
                        last = result;
                    }
                } else {
                    ended = depth + ": " + result;
                }
            }
        }
        System.out.println("overflows, where each new place was first met: " + overflows);
        System.out.println("edge " + edge + ", attempts " + attempts + ", reached the operation " + bottoms
                + ", first to end: " + ended);
        check(ended != null, "no attempt ended, even with room");
        check(bottoms > 1, "no attempt overflowed in the operation");

        // With room, jlivepatch works: a new patch registers, enables and runs.
        if (registered != null) {
            if (registered.isEnabled()) {
                registered.disable();
            }
            registered.unregister();
        }
        String name = "edge-room";
        PatchHandle h;
        try {
            h = lp.register(patch(name));
            h.enable();
        } catch (PatchException | RuntimeException | Error e) {
            System.out.println("the operations after the attempts at the edge:");
            e.printStackTrace(System.out);
            check(false, "an operation with room failed after the first at the stack's edge: " + e);
            return;
        }
        check(h.awaitTransition(java.time.Duration.ofSeconds(30)), "the enable completes");
        check("patched".equals(new edgeapp.Greeting().get()), "the patch runs");
        System.out.println("RESULT ok");
    }

    private static Patch patch(String name) throws NoSuchMethodException {
        return Patch.builder(name)
                .replace("edgeapp.Greeting", "get", "()Ljava/lang/String;",
                        FirstOperationStackEdgeDriver.class.getMethod("patchedGet", Object.class))
                .build();
    }

    /**
     * The operation at the bottom of {@code depth} frames: what it ended with ({@code overflow ...}
     * where it overflowed), or null when the recursion did not reach it. Anything else it throws fails
     * the driver.
     */
    private static String attempt(int depth) throws InterruptedException {
        attempts++;
        outcome = null;
        thrown = null;
        StackEdgeSweep.Run run = StackEdgeSweep.run(depth, STACK_BYTES, "first-op-edge-" + depth, null,
                FirstOperationStackEdgeDriver::operation, null);
        if (!run.bottom() || outcome != null) {
            return outcome;
        }
        if (thrown instanceof StackOverflowError || thrown == null && run.overflowed()) {
            return "overflow" + where(thrown); // null: before the operation's own frame
        }
        System.out.println("the operation at the edge (depth " + depth + "):");
        if (thrown != null) {
            thrown.printStackTrace(System.out);
        }
        check(false, "the operation at the stack's edge neither ended nor overflowed: " + thrown);
        return null;
    }

    /**
     * At the bottom: the operation under test; its outcome, or what it threw (kept for after the
     * join: formatting it here, at the edge, would overflow again).
     */
    private static void operation() {
        try {
            operate();
        } catch (RuntimeException | Error e) {
            thrown = e;
        }
    }

    private static void operate() {
        try {
            if (mode.equals("register")) {
                registered = lp.register(patch("edge-first"));
                outcome = "registered";
            } else {
                registered.enable();
                outcome = "enabled";
            }
        } catch (PatchException e) {
            outcome = "refused: " + e.getMessage();
        } catch (ReflectiveOperationException e) {
            outcome = "failed: " + e;
        }
    }

    /** Where in jlivepatch an overflow happened: its innermost frame of jlivepatch's, for the output. */
    private static String where(Throwable e) {
        if (e == null) {
            return "";
        }
        StackTraceElement[] trace = e.getStackTrace();
        String top = trace.length == 0 ? "" : " at " + trace[0].getClassName() + "." + trace[0].getMethodName();
        for (StackTraceElement f : trace) {
            if (f.getClassName().startsWith("io.jlivepatch.internal.")) {
                return top + " in " + f.getClassName().substring("io.jlivepatch.internal.".length()) + "."
                        + f.getMethodName();
            }
        }
        return top;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
