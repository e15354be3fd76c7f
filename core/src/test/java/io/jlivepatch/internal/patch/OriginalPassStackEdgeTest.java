package io.jlivepatch.internal.patch;

import io.jlivepatch.StackEdgeSweep;
import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@code @Next} call through {@link OriginalPass} at the edge of a thread's stack (a replacement deep
 * in a recursion) never leaves its pass armed: the {@code next} handle's {@code finally} drops it, and
 * a stack overflow in that drop (the call of the original overflowed at the same depth a moment before)
 * left the slot claimed by a thread that ended and the count of armed passes above zero for good: every
 * hooked call's guard then scans the table instead of one read, and a thread that lives on takes its
 * stale pass at its next call of the method, which runs the original code instead of the patch. Each
 * attempt runs on a fresh thread with a small stack, one frame deeper than the last, across the depths
 * where the call stops fitting; after each, nothing may be armed (checked, not waited for). Before
 * the fix JDK 25 left a pass armed in every run (at the very edge, once the handle ran compiled); JDK
 * 17 never did in the same sweep (its drop found room after the overflow), so there it only guards.
 */
class OriginalPassStackEdgeTest {

    private static final int STACK_BYTES = 256 * 1024;
    private static final int BELOW_EDGE = 400;
    private static final int ROUNDS = 3;
    private static final int WARM_CALLS = 100_000;

    @SuppressWarnings("unused") // through ORIGINAL
    private static int original() {
        return 42;
    }

    @Test
    void noPassOutlivesItsCallAtTheStacksEdge() throws Throwable {
        MethodHandle target = MethodHandles.lookup().findStatic(OriginalPassStackEdgeTest.class, "original",
                MethodType.methodType(int.class));
        MethodHandle next = OriginalPass.original(target, OriginalPass.token(OriginalPassStackEdgeTest.class,
                "original()I"));
        AtomicInteger armed = armed();
        AtomicReferenceArray<?> owners = owners();
        // Compiled first, as a replacement's @Next called often is: the pass was left armed most often
        // once the handle's code ran compiled, at the very edge.
        for (int i = 0; i < WARM_CALLS; i++) {
            assertEquals(42, (int) next.invokeExact());
        }
        assertEquals(0, armed.get());

        int[] attempts = {0};
        int reachedBottom = 0;
        Runnable call = () -> {
            try {
                int r = (int) next.invokeExact();
                if (r != 42) {
                    throw new AssertionError("the original returned " + r);
                }
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        };
        for (int round = 0; round < ROUNDS; round++) {
            reachedBottom += StackEdgeSweep.sweep(StackEdgeSweep.edge(STACK_BYTES), BELOW_EDGE, depth -> {
                attempts[0]++;
                // the recursion's overflow or the call's: either way nothing may stay armed afterwards
                boolean bottom = StackEdgeSweep.atDepth(depth, STACK_BYTES, "pass-edge", call);
                assertEquals(0, armed.get(), "a pass is left armed after a call " + depth + " frames deep"
                        + " (attempt " + attempts[0] + ")");
                for (int i = 0; i < owners.length(); i++) {
                    assertNull(owners.get(i), "slot " + i + " is left claimed after a call " + depth
                            + " frames deep");
                }
                return bottom;
            });
        }
        assertTrue(reachedBottom >= BELOW_EDGE / 4, "the attempts reached the call " + reachedBottom + " times");
        assertEquals(42, (int) next.invokeExact(), "a call with room runs the original");
        assertEquals(0, armed.get());
    }

    private static AtomicInteger armed() throws ReflectiveOperationException {
        Field f = OriginalPass.class.getDeclaredField("ARMED");
        f.setAccessible(true);
        return (AtomicInteger) f.get(null);
    }

    private static AtomicReferenceArray<?> owners() throws ReflectiveOperationException {
        Field f = OriginalPass.class.getDeclaredField("OWNERS");
        f.setAccessible(true);
        return (AtomicReferenceArray<?>) f.get(null);
    }
}
