package io.jlivepatch;

import java.util.Objects;

/**
 * A live-patching operation was refused. A refused operation changed nothing: no hook, no
 * registration, no half state. The message names the patch, the method (where there is one) and
 * what to do about it; {@link #reason()} says which rule was broken, for programs.
 */
public final class PatchException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why an operation was refused. Each constant keeps one meaning for good. */
    public enum Reason {
        /** The patch description cannot be used as it is (for example an inaccessible replacement). */
        INVALID_PATCH,
        /** A patch of that name is already registered. */
        DUPLICATE_NAME,
        /** A loaded target class does not declare the method. */
        TARGET_NOT_FOUND,
        /** The method or its class cannot be hooked (abstract, native, constructor, hidden class, ...). */
        NOT_PATCHABLE,
        /** The replacement's parameters, receiver, return type or modifiers do not fit the target. */
        SIGNATURE_MISMATCH,
        /** Enable or disable out of stack order. */
        ORDER_VIOLATION,
        /** The operation does not fit the patch's current state (for example unregistering an enabled patch). */
        ILLEGAL_STATE,
        /**
         * Another patch is in transition; or, for a command (the control socket, JMX), another
         * operation held jlivepatch's lock for longer than the command waits (10 s).
         */
        BUSY,
        /** A patch callback failed. */
        CALLBACK_FAILED,
        /** The patch does not fit the system states set up by the patches before it. */
        INCOMPATIBLE_STATE,
        /** A patch JAR did not pass the signature check. */
        UNTRUSTED,
        /** The JVM refused the instrumented class, or the instrumentation failed. */
        TRANSFORM_FAILED,
        /** An argument of a control operation is malformed (a path, a number out of range); nothing changed. */
        INVALID_ARGUMENT,
        /**
         * An unexpected failure inside jlivepatch or the JVM (an unchecked exception or a linkage
         * error where none was foreseen); the operation was undone. The log has the stack trace.
         */
        INTERNAL_ERROR,
        /**
         * jlivepatch could not get the memory (heap, metaspace or a native thread) an operation needed;
         * the operation was undone and the application keeps running.
         */
        OUT_OF_MEMORY
    }

    private final Reason reason;
    private final String patchName;

    public PatchException(Reason reason, String patchName, String message) {
        this(reason, patchName, message, null);
    }

    public PatchException(Reason reason, String patchName, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.patchName = patchName;
    }

    public Reason reason() {
        return reason;
    }

    /** The patch the refused operation was about, or {@code null} when there was none. */
    public String patchName() {
        return patchName;
    }
}
