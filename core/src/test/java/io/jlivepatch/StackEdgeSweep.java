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
 *
 * <p>It also holds what every such test shares: the probe of the edge ({@link #edge(int)}), the
 * recursion and a fresh thread to run it on ({@link #atDepth}, {@link #run}). The recursion's bottom
 * calls one class ({@code Bottom}), whatever the test's work, so that its call there never meets a
 * type it has not seen (which would deoptimize it, and change its frames' size, mid-sweep); each
 * probe and attempt has a {@code Bottom} of its own, so that tests running at once do not share one.
 */
public final class StackEdgeSweep {

    /** Depths in a row whose recursion reaches nothing before the sweep ends. */
    public static final int MISSES = 100;

    /**
     * Frames above the deepest depth that reaches its bottom where the first round of
     * {@link #sweepRounds} starts: few enough that it meets the edge before the JIT compiles the work.
     */
    public static final int COLD_BELOW = 16;

    /** The probe's recursion: deeper than any stack it is run on. */
    private static final int START = 1_000_000;

    /** One attempt: whether the recursion of {@code depth} frames reached its bottom (the work ran). */
    @FunctionalInterface
    public interface Attempt {
        boolean reachedBottom(int depth) throws Exception;
    }

    /**
     * What became of one run of the recursion: whether it reached its bottom (where the work starts),
     * and whether a {@link StackOverflowError} came out of it (the recursion's or the work's).
     */
    public record Run(boolean bottom, boolean overflowed) {
    }

    /**
     * The recursion's bottom: one class for every probe and attempt. Written by the recursion's
     * thread, read after its join.
     */
    private static final class Bottom {
        private final Runnable work;
        /** The frames the recursion had left to go when it last went one deeper. */
        private volatile int left;
        private volatile boolean reached;

        Bottom(Runnable work) {
            this.work = work;
        }

        void run() {
            reached = true;
            work.run();
        }
    }

    private StackEdgeSweep() {
    }

    /**
     * {@code rounds} sweeps, each from a probe of the edge of a stack of {@code stackBytes} and the
     * search of {@link #deepest} from it: the first from {@link #COLD_BELOW} frames above the deepest
     * depth that reaches its bottom, so that it meets
     * the edge while the work still runs interpreted (a frame for every call: an overflow can come
     * between any two of its steps; compiled, the work's inlined steps share one frame, whose room is
     * checked at its entry); the others from {@code below} frames above it, so that they meet the edge
     * once the work has run often (compiled).
     *
     * @return how many attempts of the sweeps reached their bottom
     */
    public static int sweepRounds(int stackBytes, int rounds, int below, Attempt attempt) throws Exception {
        int reached = 0;
        for (int round = 0; round < rounds; round++) {
            int first = deepest(edge(stackBytes), attempt);
            reached += sweepFrom(first, round == 0 ? Math.min(COLD_BELOW, below) : below, attempt);
        }
        return reached;
    }

    /**
     * How deep the recursion goes on a fresh thread with a stack of {@code stackBytes} before the
     * stack overflows: a start for {@link #sweep}, not the edge of any attempt's work (the JIT changes
     * the frames' size as it runs).
     */
    public static int edge(int stackBytes) throws InterruptedException {
        Bottom probe = new Bottom(() -> {
            throw new AssertionError("the probe's recursion reached its bottom");
        });
        probe.left = START;
        Thread t = new Thread(null, () -> {
            try {
                down(START, probe);
            } catch (StackOverflowError e) {
                // expected
            }
        }, "stack-edge-probe", stackBytes);
        t.start();
        t.join();
        return START - probe.left;
    }

    /**
     * Runs {@code work} at the bottom of {@code depth} frames on a fresh thread named {@code name}
     * with a stack of {@code stackBytes}; a {@link StackOverflowError} of the recursion or the work is
     * caught there. Whether the recursion reached its bottom (the work ran).
     */
    public static boolean atDepth(int depth, int stackBytes, String name, Runnable work) throws InterruptedException {
        return run(depth, stackBytes, name, null, work, null).bottom();
    }

    /**
     * As {@link #atDepth(int, int, String, Runnable)}, and then, on the same thread once the recursion
     * is over (returned or overflowed), {@code afterwards}.
     */
    public static boolean atDepth(int depth, int stackBytes, String name, Runnable work, Runnable afterwards)
            throws InterruptedException {
        return run(depth, stackBytes, name, null, work, afterwards).bottom();
    }

    /**
     * Runs {@code before} (when not null), then {@code work} at the bottom of {@code depth} frames,
     * then {@code afterwards} (when not null), on a fresh thread named {@code name} with a stack of
     * {@code stackBytes}; a {@link StackOverflowError} of the recursion or the work is caught, and what
     * else the thread throws ends it. The thread is joined (its writes are seen by the caller).
     */
    public static Run run(int depth, int stackBytes, String name, Runnable before, Runnable work,
            Runnable afterwards) throws InterruptedException {
        Bottom bottom = new Bottom(work);
        boolean[] overflowed = new boolean[1];
        Thread t = new Thread(null, () -> {
            if (before != null) {
                before.run();
            }
            try {
                down(depth, bottom);
            } catch (StackOverflowError e) {
                overflowed[0] = true; // the recursion's or the work's
            }
            if (afterwards != null) {
                afterwards.run();
            }
        }, name, stackBytes);
        t.start();
        t.join(); // orders the thread's writes before the reads below
        return new Run(bottom.reached, overflowed[0]);
    }

    private static void down(int left, Bottom bottom) {
        if (left > 0) {
            bottom.left = left;
            down(left - 1, bottom);
            return;
        }
        bottom.run();
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
        return sweepFrom(first, below, attempt);
    }

    /**
     * The deepest depth (within 16 frames) whose attempt reaches its bottom, searched from the probe's
     * {@code edge} down or up: a probe run while the recursion was still interpreted finds an edge far
     * shallower than the attempts' once it is compiled, and a sweep from there would run thousands of
     * attempts with room (the work compiled meanwhile) before it met the edge. Up, the steps double
     * until one reaches nothing, then halve.
     */
    public static int deepest(int edge, Attempt attempt) throws Exception {
        int first = Math.max(1, edge);
        if (!attempt.reachedBottom(first)) {
            while (first > 1 && !attempt.reachedBottom(first)) {
                first -= 16;
            }
            return Math.max(1, first);
        }
        int step = 16;
        boolean missed = false;
        while (step >= 16) {
            if (attempt.reachedBottom(first + step)) {
                first += step;
                if (!missed) {
                    step *= 2;
                }
            } else {
                missed = true;
                step /= 2;
            }
        }
        return first;
    }

    private static int sweepFrom(int first, int below, Attempt attempt) throws Exception {
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
