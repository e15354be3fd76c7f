package io.jlivepatch;

/**
 * The depth sweep of the stack-edge tests: runs one attempt per depth, one frame deeper each time,
 * from well above the deepest depth whose recursion reaches its bottom to past the edge, so that some
 * attempt meets the overflow at every point of the work under test. Each attempt is the test's own
 * (a fresh thread with a small stack, its recursion, its work, its checks after the join).
 *
 * <p>The JIT changes the frames' size as the sweep runs (a recursion compiled, or deoptimized when its
 * call at the bottom meets a type it had not seen), so neither the probe's edge nor one miss says
 * where the edge is: the search below the probe's edge and the sweep both run the real attempt, and
 * the sweep ends only after {@link #MISSES} depths in a row that reach nothing. A sweep that ended at
 * the first miss met a deoptimization in CI and stopped after four attempts.
 */
public final class StackEdgeSweep {

    /** Depths in a row whose recursion reaches nothing before the sweep ends. */
    public static final int MISSES = 100;

    /** One attempt: whether the recursion of {@code depth} frames reached its bottom (the work ran). */
    @FunctionalInterface
    public interface Attempt {
        boolean reachedBottom(int depth) throws Exception;
    }

    private StackEdgeSweep() {
    }

    /**
     * Sweeps from {@code below} frames above the deepest depth (at or below {@code edge}) whose attempt
     * reaches its bottom, one frame at a time, until {@link #MISSES} attempts in a row reach nothing.
     *
     * @return how many attempts of the sweep reached their bottom
     */
    public static int sweep(int edge, int below, Attempt attempt) throws Exception {
        int first = edge;
        while (first > 1 && !attempt.reachedBottom(first)) {
            first -= 16;
        }
        int reached = 0;
        int misses = 0;
        for (int depth = Math.max(1, first - below); misses < MISSES; depth++) {
            if (attempt.reachedBottom(depth)) {
                reached++;
                misses = 0;
            } else {
                misses++;
            }
        }
        return reached;
    }
}
