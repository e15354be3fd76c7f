package io.jlivepatch.internal.core;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.Log;

/**
 * Turns what went wrong inside an operation into a refusal with a reason: an unchecked exception or
 * an error jlivepatch did not foresee is {@code INTERNAL_ERROR}, a lack of memory
 * {@code OUT_OF_MEMORY}; never a raw exception class for the caller to puzzle over.
 */
public final class Refusals {

    private Refusals() {
    }

    /**
     * The refusal for an unforeseen failure {@code t} of {@code operation}.
     *
     * @param patchName the patch's name, or {@code null} when not known yet
     * @param subject   what the operation was about, for the message: {@code patch 'p'}, {@code patch JAR x.jar}
     */
    public static PatchException unexpected(String operation, String patchName, String subject, Throwable t) {
        try {
            if (t instanceof OutOfMemoryError && String.valueOf(t.getMessage()).contains("native thread")) {
                // The JVM's word for a thread it could not start: a limit on threads, not on memory.
                return new PatchException(Reason.OUT_OF_MEMORY, patchName, "jlivepatch could not start a thread to "
                        + operation + " " + subject + " (" + t.getMessage() + "): the operation was refused and nothing"
                        + " was changed; the application keeps running. The JVM is at a limit on threads (its user's"
                        + " 'ulimit -u', its cgroup's pids.max) or on native memory: retry once threads are free, or"
                        + " raise the limit", t);
            }
            if (t instanceof OutOfMemoryError) {
                return new PatchException(Reason.OUT_OF_MEMORY, patchName, "jlivepatch lacked memory to " + operation
                        + " " + subject + " (" + t.getMessage() + "): the operation was refused and nothing was changed;"
                        + " the application keeps running. Retry later, or give the JVM more memory (-Xmx,"
                        + " -XX:MaxMetaspaceSize)", t);
            }
            return new PatchException(Reason.INTERNAL_ERROR, patchName, "cannot " + operation + " " + subject
                    + ": jlivepatch failed unexpectedly (" + t + "); the operation was refused and nothing was"
                    + " changed. The stack trace is in the log; please report it", t);
        } catch (OutOfMemoryError again) {
            // Not even the message fits: a constant one still says what happened.
            return new PatchException(Reason.OUT_OF_MEMORY, patchName, OUT_OF_MEMORY);
        }
    }

    private static final String OUT_OF_MEMORY = "jlivepatch lacked memory for an operation: it was refused and nothing"
            + " was changed; the application keeps running";

    /**
     * Logs a refusal; a failure to log (memory again) never replaces the refusal itself (the log never throws).
     * A callback's failure ({@code CALLBACK_FAILED}: an enable's prePatch) carries what the callback threw, as
     * the WARNING of a callback that stops nothing does (PatchCallbacks.failed), so that a handler prints where
     * in the callback it failed; the refusal's message stays one line for the caller, the audit and status.
     */
    public static void log(String operation, PatchException e) {
        try {
            boolean unforeseen = e.reason() == Reason.INTERNAL_ERROR || e.reason() == Reason.OUT_OF_MEMORY;
            if (unforeseen && e.getCause() != null) {
                Log.get().log(System.Logger.Level.ERROR, operation + " refused (" + e.reason() + "): "
                        + e.getMessage(), e.getCause());
            } else if (e.reason() == Reason.CALLBACK_FAILED && e.getCause() != null) {
                Log.get().log(System.Logger.Level.WARNING, operation + " refused (" + e.reason() + "): "
                        + e.getMessage(), e.getCause());
            } else {
                Log.get().log(System.Logger.Level.WARNING, "{0} refused ({1}): {2}", operation, e.reason(),
                        e.getMessage());
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
            // No memory for the line (the logger's making, the text): the refusal and its audit record stand.
            // Thrown on, it replaced the refusal with itself and left the refusal off the record.
        }
    }

    /*
     * The reports below take no lambda: linking one is itself something that can fail (no memory,
     * a class that cannot be loaded), and would then fail the operation the report is about.
     */

    static void registered(RegistryObserver o, io.jlivepatch.PatchHandle p) {
        try {
            o.registered(p);
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // the patch is registered; only its MBean is missing, which the observer logs itself
        }
    }

    static void unregistered(RegistryObserver o, io.jlivepatch.PatchHandle p) {
        try {
            o.unregistered(p);
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // the patch is gone; only its MBean stays, which the observer logs itself
        }
    }
}
