package io.jlivepatch.agent.cli;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The time by which a target JVM must have answered. Each blocking step (an attach, a JMX connect,
 * an MBean call) runs on a daemon thread and is waited for only until then: a JVM that is stopped
 * ({@code kill -STOP}), hung or overloaded cannot hold the command, and the command's process ends
 * even while such a thread is still stuck in a socket read.
 */
final class Deadline {

    /** One blocking step towards the target. */
    @FunctionalInterface
    interface Step<T> {
        T run() throws Exception;
    }

    private static final ExecutorService CALLS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "jlivepatch-call");
        t.setDaemon(true); // never keeps the command's JVM alive
        return t;
    });

    private final long pid;
    private final long seconds;
    private final long end;

    private Deadline(long pid, long seconds) {
        this.pid = pid;
        this.seconds = seconds;
        this.end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    }

    /** {@code seconds} from now, for pid {@code pid}. */
    static Deadline in(long pid, long seconds) {
        return new Deadline(pid, seconds);
    }

    long seconds() {
        return seconds;
    }

    boolean passed() {
        return System.nanoTime() - end >= 0;
    }

    /**
     * Runs {@code step} and returns what it returns, or throws what it throws.
     *
     * @param what what the step does, for the message: {@code loading the agent}
     * @throws NoAnswer when the step has not ended by the deadline
     */
    <T> T run(String what, Step<T> step) throws Exception {
        return await(start(step), what);
    }

    /** Runs {@code step} on a daemon thread and waits for nothing (a close after the target stopped answering). */
    static void inBackground(Step<?> step) {
        CALLS.submit(step::run);
    }

    /** Starts {@code step} on a daemon thread; {@link #await} gets its outcome. */
    <T> Future<T> start(Step<T> step) {
        return CALLS.submit(step::run);
    }

    /** The outcome of a started step, waiting at most until the deadline. */
    <T> T await(Future<T> step, String what) throws Exception {
        try {
            return step.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException late) {
            // A socket channel's read or write ends with the interrupt, closing the channel (a call
            // still being written is cut short); other steps may ignore it: the thread is a daemon.
            step.cancel(true);
            String fact = "pid " + pid + " did not answer within " + seconds + " s (while " + what + "); the JVM"
                    + " may be stopped or overloaded";
            throw new NoAnswer(fact + "; retry with a larger --timeout", fact);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw e;
        } catch (CancellationException | InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refused("interrupted while " + what + " in pid " + pid, e);
        }
    }

    /**
     * The target did not answer a step in time. Unchecked, so that it passes through JMX's MBean
     * proxies unchanged; {@link Main} prints it as a refusal (exit 1), or, when a change of the
     * command had reached the target, the channel makes it an unknown outcome (exit 4).
     */
    static final class NoAnswer extends RuntimeException {

        private static final long serialVersionUID = 1L;
        private final String fact;

        NoAnswer(String message) {
            this(message, message);
        }

        NoAnswer(String message, String fact) {
            super(message);
            this.fact = fact;
        }

        /** What happened, without the advice to retry (wrong advice once a change may have been made). */
        String fact() {
            return fact;
        }
    }
}
