package io.jlivepatch;

import java.util.List;
import java.util.Objects;

/**
 * What one replaced method of a patch looks like in the running JVM (the kernel's per-object
 * {@code patched} flag, per class loader).
 *
 * @param className  target class
 * @param methodName target method
 * @param descriptor target descriptor
 * @param loaders    one entry per class loader that defines the class; empty while no loader has
 *                   defined it (the function is then {@link State#PENDING})
 */
public record FunctionStatus(String className, String methodName, String descriptor, List<LoaderStatus> loaders) {

    public FunctionStatus {
        Objects.requireNonNull(className);
        Objects.requireNonNull(methodName);
        Objects.requireNonNull(descriptor);
        loaders = List.copyOf(loaders);
    }

    /** The state of a function in one class loader. */
    public enum State {
        /** No class loader has defined the target class yet: it is hooked when one does. */
        PENDING,
        /** The hook is in place and the patch is enabled. */
        PATCHED,
        /** The class is loaded but the patch is not enabled, so the method runs its own code. */
        NOT_PATCHED,
        /** The method could not be hooked in this loader; {@link LoaderStatus#detail()} says why. */
        FAILED
    }

    /**
     * @param classLoader the loader's name as {@code ClassLoader.toString()} gives it, or {@code bootstrap}
     * @param state       the function's state there
     * @param detail      why it failed; for a patched method, what the operator should know (another
     *                    agent's code in it that the replacement bypasses); else an empty string
     */
    public record LoaderStatus(String classLoader, State state, String detail) {
        public LoaderStatus {
            Objects.requireNonNull(classLoader);
            Objects.requireNonNull(state);
            Objects.requireNonNull(detail);
        }
    }

    /** {@link State#PENDING} with no loader, {@link State#FAILED} if any loader failed, else the first loader's state. */
    public State state() {
        if (loaders.isEmpty()) {
            return State.PENDING;
        }
        for (LoaderStatus l : loaders) {
            if (l.state() == State.FAILED) {
                return State.FAILED;
            }
        }
        return loaders.get(0).state();
    }

    public String target() {
        return className + "." + methodName + descriptor;
    }
}
