package com.acme.files.fleet;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Waits until every JVM of a fleet has converged on what a volume update asks for, and times each:
 * one thread looks at every JVM in turn (its patch stack over JMX and the hole over HTTP) until all
 * have converged or the deadline passes. Meanwhile it notes what must never be seen: the hole in
 * another state than the target once a JVM converged (or at any time, for an update that must keep
 * it), and a failed reconcile.
 */
public final class Convergence {

    /** One JVM of the fleet, as the observer reaches it. */
    public record Member(String name, JvmStack stack, Hole hole) {
    }

    /**
     * What an update asks for.
     *
     * @param patches        the patches every JVM must end with, in stack order
     * @param hole           the state of the hole then
     * @param holeThroughout whether the hole must be in that state at every look, not only from convergence on
     *                       (replacing a fix with a cumulative one must never reopen it)
     */
    public record Target(List<String> patches, Hole.Found hole, boolean holeThroughout) {
    }

    /**
     * How one JVM converged.
     *
     * @param observedMillis from the swap to the first look that saw it converged; -1 when none did
     * @param reportedMillis from the swap to the end of its last reconcile as the JVM reports it
     *                       ({@code LastReconcile}), at that look
     * @param last           the last look
     */
    public record Outcome(long observedMillis, long reportedMillis, JvmStack.Snapshot last, Hole.Found lastHole) {
        public boolean converged() {
            return observedMillis >= 0;
        }
    }

    /** What every JVM did, and what should not have been seen. */
    public record Result(Map<String, Outcome> outcomes, List<String> violations) {
        public boolean allConverged() {
            return outcomes.values().stream().allMatch(Outcome::converged);
        }
    }

    private static final long LOOK_EVERY_MILLIS = 50;

    private Convergence() {
    }

    /**
     * Looks at {@code fleet} until every member converged on {@code target} or {@code deadline}
     * passed, timing from {@code swap}.
     */
    public static Result await(List<Member> fleet, Target target, KubeletVolume.Swap swap, Duration deadline)
            throws IOException, InterruptedException {
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        Map<String, Outcome> lastLooks = new LinkedHashMap<>();
        List<String> violations = new ArrayList<>();
        long end = System.nanoTime() + deadline.toNanos();
        while (outcomes.size() < fleet.size() && System.nanoTime() - end < 0) {
            for (Member m : fleet) {
                JvmStack.Snapshot look = m.stack().read();
                Hole.Found hole = m.hole().probe();
                long at = (System.nanoTime() - swap.nanoTime()) / 1_000_000;
                boolean converged = outcomes.containsKey(m.name());
                if (hole != target.hole() && (converged || target.holeThroughout())) {
                    violations.add(m.name() + " at +" + at + " ms: the hole was " + hole + " (" + look + ")");
                }
                if (look.reconcileState().startsWith("failed")) {
                    violations.add(m.name() + " at +" + at + " ms: " + look.reconcileState());
                }
                lastLooks.put(m.name(), new Outcome(-1, -1, look, hole));
                if (!converged && look.convergedOn(target.patches()) && hole == target.hole()) {
                    outcomes.put(m.name(), new Outcome(at, look.lastReconcile() - swap.epochMillis(), look, hole));
                }
            }
            Thread.sleep(LOOK_EVERY_MILLIS);
        }
        Map<String, Outcome> all = new LinkedHashMap<>();
        for (Member m : fleet) {
            all.put(m.name(), outcomes.getOrDefault(m.name(), lastLooks.get(m.name())));
        }
        return new Result(all, violations);
    }
}
