package io.jlivepatch.internal.patch;

import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.jar.Jars;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Run in a fresh JVM by {@link TransformerStackEdgeTest}: jlivepatch's transformer, asked to hook a
 * class close to the edge of its thread's stack, never lets an exception out once it has started:
 * the JDK (TransformerManager) would drop it without a word, and the class would keep its own
 * bytecode with nothing logged or recorded. Each round measures the edge of a small stack, finds the
 * first depth where the transform of jarapp.Counter (hooked by an enabled patch) returns, and then
 * tries every depth below it, one frame at a time, down to where the transform's own frame no longer
 * fits. An exception may come out only from there: its stack trace has no frame of jlivepatch's
 * above the transform's entry. Before, the overflows inside it (in the callees of its entry, in the
 * log line of its catch) came out. A transform that returned the class unhooked must have recorded
 * why (status shows FAILED), except when even that record found no stack: counted, and printed.
 * Prints {@code RESULT ok}.
 */
public final class TransformerStackEdgeDriver {

    private static final int STACK_BYTES = 256 * 1024;
    private static final int ROUNDS = 5;
    private static final int STRIDE = 8;
    private static final int ABOVE = 16;
    private static final int START = 1_000_000;
    private static final String KEY = "next()I";

    private static HookTransformer transformer;
    private static byte[] counterFile;

    // Written by one attempt's thread, read after its join.
    private static volatile int reached;
    private static volatile Throwable escaped;
    private static volatile boolean returned;
    /** Whether the recursion reached its bottom, where it calls the transformer. */
    private static volatile boolean bottom;
    private static volatile byte[] bytes;

    private static int attempts;
    private static int hooked;
    private static int recorded;
    private static int unrecorded;
    private static int atEntry;

    private TransformerStackEdgeDriver() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("transformer-edge");
        String fix = "jarapp.fix.CounterFix";
        Path jar = Jars.write(dir.resolve("edge.jar"), Jars.manifest("transformer-edge", fix), Jars.classes(fix));
        PatchHandle h = Jars.lp().load(jar);
        h.enable();
        check(h.awaitTransition(Duration.ofSeconds(30)), "the enable completes");
        HookManager hooks = hooks();
        HookLedger ledger = new HookLedger();
        transformer = new HookTransformer(hooks::table, ledger, hooks.instrumentation());
        counterFile = Jars.classes("jarapp.Counter").get("jarapp/Counter.class");

        for (int round = 0; round < ROUNDS; round++) {
            int edge = edge();
            int first = edge;
            while (first > 0 && !attempt(first, ledger)) {
                first -= STRIDE;
            }
            // Deeper, one frame at a time, until not even the transform's frame fits (or the recursion's).
            for (int depth = Math.max(1, first - ABOVE); ; depth++) {
                attempt(depth, ledger);
                if (escaped != null || !bottom) {
                    break;
                }
            }
        }
        System.out.println("attempts " + attempts + ", hooked " + hooked + ", recorded " + recorded
                + ", unrecorded " + unrecorded + ", overflowed at the entry " + atEntry);
        check(hooked > 0 && recorded > 0, "the attempts met the depths where the class is hooked and where it is not");
        System.out.println("RESULT ok");
    }

    /** One transform, {@code depth} frames deep on a fresh thread; whether it returned the class hooked. */
    private static boolean attempt(int depth, HookLedger ledger) throws Exception {
        attempts++;
        ClassLoader loader = new ClassLoader("edge-" + attempts, null) {
        };
        escaped = null;
        returned = false;
        bottom = false;
        bytes = null;
        Thread t = new Thread(null, () -> {
            try {
                down(depth, loader);
            } catch (StackOverflowError e) {
                // the recursion itself, before its bottom: this depth does not reach the transformer
            }
        }, "transformer-edge-" + attempts, STACK_BYTES);
        t.start();
        t.join();
        if (!bottom) {
            return false;
        }
        Throwable e = escaped;
        if (e != null) {
            StackTraceElement[] trace = e.getStackTrace();
            int i = 0;
            while (i < trace.length && !trace[i].getMethodName().equals("down")) {
                i++;
            }
            // Thrown where the transform's own frame did not fit: by the call in down, or at the entry.
            check(i == 0 || i == 1 && trace[0].getClassName().equals(HookTransformer.class.getName())
                    && trace[0].getMethodName().equals("transform"), "an exception came out of the transformer "
                    + depth + " frames deep, thrown inside it: " + describe(e, i));
            atEntry++;
            return false;
        }
        check(returned, "the attempt ended without returning or throwing");
        ClassHooks recordedHooks = ledger.get(loader, "jarapp.Counter");
        if (bytes != null) {
            check(recordedHooks.hooked().contains(KEY), "a hooked class recorded as not hooked");
            hooked++;
            return true;
        }
        if (recordedHooks.failures().containsKey(KEY)) {
            recorded++;
        } else {
            unrecorded++;
        }
        return false;
    }

    private static String describe(Throwable e, int frames) {
        StringBuilder s = new StringBuilder(e.toString());
        StackTraceElement[] trace = e.getStackTrace();
        for (int i = 0; i < Math.min(frames + 1, 12) && i < trace.length; i++) {
            s.append("\n\tat ").append(trace[i]);
        }
        return s.toString();
    }

    private static int edge() throws InterruptedException {
        reached = START;
        Thread t = new Thread(null, () -> {
            try {
                down(START, null);
            } catch (StackOverflowError e) {
                // expected
            }
        }, "transformer-edge", STACK_BYTES);
        t.start();
        t.join();
        return START - reached;
    }

    private static void down(int left, ClassLoader loader) {
        if (left > 0) {
            reached = left;
            down(left - 1, loader);
            return;
        }
        if (loader != null) {
            bottom = true;
            try {
                bytes = transformer.transform(null, loader, "jarapp/Counter", null, null, counterFile);
                returned = true;
            } catch (Throwable e) {
                escaped = e;
            }
        }
    }

    private static HookManager hooks() throws ReflectiveOperationException {
        Field f = PatchRegistry.class.getDeclaredField("hooks");
        f.setAccessible(true);
        return (HookManager) f.get(PatchRegistry.installed());
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
