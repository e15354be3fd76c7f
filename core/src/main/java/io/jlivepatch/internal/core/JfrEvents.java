package io.jlivepatch.internal.core;

import io.jlivepatch.internal.transition.Transition;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * jlivepatch's JFR events ({@link PatchOperationEvent}, {@link TransitionEvent}), so that a
 * recording ({@code -XX:StartFlightRecording}, {@code jcmd <pid> JFR.start}) shows every operation
 * and transition beside the application's own events. Called only once the flight recorder was
 * started ({@link AuditLog#jfrStarted}), so that a JVM that never records loads none of these
 * classes. Works in a runtime without {@code jdk.jfr} (a jlinked image): the first
 * {@link LinkageError} turns the events off. Never throws: an operation stands whatever its event does.
 */
final class JfrEvents {

    /** The event of each transition in progress, keyed by identity; weak, so that no transition is kept. */
    private static final Map<Transition, Object> TRANSITIONS = new WeakHashMap<>();

    private JfrEvents() {
    }

    /**
     * The {@code io.jlivepatch.PatchOperation} event of an audit record, its time taken now (where the record
     * takes its place in the log: AuditLog's lock), for {@link #commit} after; null when the event is not
     * recorded (disabled, no jdk.jfr, no memory).
     */
    static Object operationAt(AuditLog.Entry e) {
        try {
            return PatchOperationEvent.at(e);
        } catch (LinkageError x) {
            AuditLog.jfrMissing();
        } catch (RuntimeException | VirtualMachineError ignored) {
            // the record is in the audit log; only its event is missing
        }
        return null;
    }

    /** Commits {@link #operationAt}'s event. */
    static void commit(Object event) {
        try {
            PatchOperationEvent.commit(event);
        } catch (LinkageError x) {
            AuditLog.jfrMissing();
        } catch (RuntimeException | VirtualMachineError ignored) {
            // the record is in the audit log; only its event is missing
        }
    }

    /** A transition of {@code t} begins (the registry's commit, or a reversal). */
    static void transitionBegins(Transition t) {
        try {
            Object event = TransitionEvent.begin(t.patchName(), t.targetPatched());
            synchronized (TRANSITIONS) {
                TRANSITIONS.put(t, event);
            }
        } catch (LinkageError x) {
            AuditLog.jfrMissing();
        } catch (RuntimeException | VirtualMachineError ignored) {
            // the transition runs; only its event is missing
        }
    }

    /** The transition of {@code t} ends: every thread reached the target, or a force made them. */
    static void transitionEnds(Transition t) {
        end(t, t.forced() ? TransitionEvent.FORCED : TransitionEvent.COMPLETE);
    }

    /**
     * {@code t} was reversed: the transition towards the old target ends unreached, one towards
     * the new target (that {@code t.targetPatched()} now gives) begins.
     */
    static void transitionReversed(Transition t) {
        end(t, TransitionEvent.REVERSED);
        transitionBegins(t);
    }

    private static void end(Transition t, String outcome) {
        try {
            Object event;
            synchronized (TRANSITIONS) {
                event = TRANSITIONS.remove(t);
            }
            if (event != null) {
                TransitionEvent.end(event, outcome);
            }
        } catch (LinkageError x) {
            AuditLog.jfrMissing();
        } catch (RuntimeException | VirtualMachineError ignored) {
            // the transition ended; only its event is missing
        }
    }
}
