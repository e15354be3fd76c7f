package io.jlivepatch.internal.patch;

/** The JVM refused a hook; everything was rolled back to the previous table. */
public final class HookFailure extends Exception {

    private static final long serialVersionUID = 1L;

    HookFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
