package io.jlivepatch.internal.control;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Refusals;

import java.util.function.Supplier;

/**
 * What every MBean call goes through: whatever goes wrong reaches the JMX client as an
 * {@code IllegalStateException} whose message starts with the reason
 * ({@code ORDER_VIOLATION: cannot disable ...}), a JDK type any client can read, never a raw
 * exception class of ours or of the JVM. Under a SecurityManager the call's work is done with
 * jlivepatch's permissions, whoever asked ({@link AsJlivepatch}).
 */
final class JmxCalls {

    private JmxCalls() {
    }

    /** A life-cycle call; may refuse. */
    @FunctionalInterface
    interface Operation<T> {
        T run() throws PatchException;
    }

    /** A refusal as JMX carries it to any client. */
    static IllegalStateException refusal(PatchException e) {
        return new IllegalStateException(e.reason() + ": " + e.getMessage());
    }

    /**
     * Runs a life-cycle operation. Its refusals were logged and audited by the registry; a failure
     * that escaped it (the JMX layer's own code) is logged and audited here.
     */
    @SuppressWarnings("removal") // System.getSecurityManager: jlivepatch's own permissions while one is set
    static <T> T operation(PatchRegistry registry, String operation, String subject, Operation<T> op) {
        try {
            return System.getSecurityManager() == null ? op.run() : AsJlivepatch.operation(op);
        } catch (PatchException e) {
            throw refusal(e);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            throw refusal(registry.refusedOutside(operation, subject,
                    Refusals.unexpected(operation, null, subject, e)));
        }
    }

    /** Runs a read (status, the log, a function list); a failure is logged, and nothing changed. */
    @SuppressWarnings("removal") // System.getSecurityManager: jlivepatch's own permissions while one is set
    static <T> T reading(String what, Supplier<T> read) {
        try {
            return System.getSecurityManager() == null ? read.get() : AsJlivepatch.reading(read);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            PatchException refusal = Refusals.unexpected("read", null, what, e);
            Log.get().log(System.Logger.Level.ERROR, "reading " + what + " failed: " + refusal.getMessage(), e);
            throw refusal(refusal);
        }
    }
}
