package io.jlivepatch;

import net.bytebuddy.agent.ByteBuddyAgent;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/** Shared set-up: one Livepatch for the test JVM, and clean-up of every patch a test left. */
final class TestSupport {

    private static Instrumentation instrumentation;

    private TestSupport() {
    }

    static synchronized Instrumentation instrumentation() {
        if (instrumentation == null) {
            instrumentation = ByteBuddyAgent.install();
        }
        return instrumentation;
    }

    static Livepatch livepatch() {
        return Livepatch.install(instrumentation());
    }

    /** Disables (in reverse order) and unregisters every registered patch. */
    static void removeAllPatches() throws PatchException {
        List<PatchHandle> stack = new ArrayList<>(livepatch().patches());
        for (int i = stack.size() - 1; i >= 0; i--) {
            if (stack.get(i).isEnabled()) {
                stack.get(i).disable();
            }
        }
        for (PatchHandle h : stack) {
            h.unregister();
        }
    }

    static Method method(Class<?> c, String name, Class<?>... params) {
        try {
            return c.getDeclaredMethod(name, params);
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
    }
}
