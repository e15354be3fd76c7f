package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;

import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A change command's call (load's, enable's, disable's, unload's disable) whose patch's transition may end inside
 * the call, every thread moved, with a closing callback ({@code postPatch}, {@code postUnpatch}) that has not
 * returned: it holds the call's answer (and jlivepatch's lock) until it does, so the command never gets to its
 * --wait loop, which names such a callback. The call runs on a daemon thread and is waited for only --wait; then
 * a second connection asks once whether the patch's closing callback running now is this command's change, and
 * where it is, the command prints what the other --wait paths print for it (exit 3) and the answer is not waited
 * for. In every other case (answered in time, no callback, not provably this command's, a look that fails,
 * --wait 0, --wait not shorter than --timeout) the command waits for the answer within --timeout, as without the
 * look.
 *
 * <p>The proof is the first connection's token (internal.control.SessionCalls), which only this command and the
 * agent know: asked for before the call, carried by the call to its closing, and presented by the look, which the
 * agent answers with the callback only when the closing's call came over the connection of that token. Not
 * {@code closingBy}: its {@code pid N} is what the command's hello states (only the user comes from the kernel's
 * peer credentials), so another local process of the same user could state this command's pid, ask for a change
 * whose closing blocks, and make this command take it for its own and exit 3 while its own call still waited for
 * jlivepatch's lock, to change the target later. Status never shows the token, and a process that could read it
 * from this command's memory (the same user, where ptrace is allowed; root) could stop or alter the command
 * anyway. An agent without the token (before it) proves nothing for an enable, disable or unload, which then wait
 * for the call's answer; for a load, the patch's provenance ({@link Ours}: loaded from this JAR by this command's
 * pid since it asked), as before the token, which such a process could state too.
 */
final class ClosingLook {

    private ClosingLook() {
    }

    /**
     * Whether the patch's object in the look's status proves that its closing callback is this command's change:
     * with an agent without the token only (load's provenance).
     */
    @FunctionalInterface
    interface Ours {
        /**
         * @param patch the patch's object (one parse of a status that may be megabytes)
         * @param asked when the change's call was about to go out
         */
        boolean test(StatusJson patch, Instant asked);
    }

    /** The call's answer, or (its answer not waited for) the closing callback that holds it, cleaned. */
    record Outcome<T>(T answer, String closing) {
        boolean held() {
            return closing != null;
        }
    }

    /**
     * Runs {@code call} and returns its answer, or what the look found ({@link Outcome#held}).
     *
     * @param operation the change the call asks for, in the operator's words ({@code enable}, {@code load}), for
     *                  what an interrupt leaves ({@link #interrupted})
     * @param look whether the change may end its transition inside the call (a load that enables: yes; one that
     *             registers only: no)
     * @param token the call's connection's token, asked for only when a look is to be made, before the call
     *              ({@link TargetJvm#sessionToken}: {@code null} from an agent without it)
     * @param ours with no token, what proves the callback this change's from status; {@code null}: nothing does
     * @throws Refused what the call threw as a refusal; its unchecked exceptions are thrown as they are
     * @throws ControlChannel.OutcomeUnknown when this thread is interrupted after the call was handed to its thread,
     *                                       before it has answered (interrupted before: a {@link Refused})
     */
    static <T> Outcome<T> await(long pid, String patch, String operation, long waitSeconds, long timeoutSeconds,
                                boolean look, Token token, Ours ours, Deadline.Step<T> call) throws Refused {
        try {
            return await0(pid, patch, operation, waitSeconds, timeoutSeconds, look, token, ours, call);
        } catch (InterruptedException e) {
            throw interrupted(pid, operation, e);
        }
    }

    /**
     * What an interrupt of the wait for the call's answer leaves (anywhere in it: the look's own connect and read
     * keep the interrupt, and the wait after them ends with it): the call was handed to its daemon thread before
     * the wait began, so the change was sent, or is on its way, and its answer is not read. It may have taken
     * effect, or may still (the daemon thread is not stopped: a cut-short write is no refusal either), so the
     * command must not exit 1 (nothing changed); as a change sent whose answer did not come
     * ({@link ControlChannel}'s unanswered calls): exit 4, status first. The interrupt is kept.
     */
    static ControlChannel.OutcomeUnknown interrupted(long pid, String operation, InterruptedException e) {
        Thread.currentThread().interrupt();
        return new ControlChannel.OutcomeUnknown("interrupted while waiting for pid " + pid + "'s answer; the "
                + operation + " had been sent to it (or was on its way) and its answer was not read, so it may have"
                + " taken effect, or may still: run 'jlivepatch status " + pid + "' before anything else (the audit"
                + " log records what was done)", e);
    }

    private static <T> Outcome<T> await0(long pid, String patch, String operation, long waitSeconds,
                                         long timeoutSeconds, boolean look, Token token, Ours ours,
                                         Deadline.Step<T> call) throws Refused, InterruptedException {
        // Not at --wait 0: a call never answers in no time, so every such change would open a second connection and
        // read the whole status for nothing (and wait up to --timeout for a target busy with this very change).
        boolean looks = look && waitSeconds > 0 && waitSeconds < timeoutSeconds;
        // Over the call's own connection, before the call (one call at a time there): its closing records it.
        String secret = looks ? token.get() : null;
        // Before the call goes out: a patch a load registers was registered after it (LoadCommand.loadedHere).
        Instant asked = Instant.now();
        // On a daemon thread, so that the wait for its answer can end at --wait: what the call writes of the
        // channel's state (its change, ControlChannel.changed) is seen here after the Future's get, which its
        // completion happens-before; the caller makes no later call of the channel before that get (or at all,
        // when held).
        if (Thread.currentThread().isInterrupted()) {
            // Not handed over: its daemon thread would send it whatever the interrupt, and the wait below would
            // then say it may have taken effect. Nothing was sent: a refusal (exit 1), the interrupt kept.
            throw new Refused("interrupted before the " + operation + " was sent to pid " + pid + ": nothing was sent");
        }
        Future<T> answer = Deadline.in(pid, timeoutSeconds).start(call);
        if (looks) {
            try {
                return new Outcome<>(outcome(answer.get(waitSeconds, TimeUnit.SECONDS), null), null);
            } catch (ExecutionException e) {
                return new Outcome<>(outcome(null, e), null);
            } catch (TimeoutException late) {
                String closing = closingOfOurs(pid, patch, timeoutSeconds, secret, ours, asked);
                if (closing != null) {
                    return new Outcome<>(null, closing); // the call is left to its daemon thread
                }
            }
        }
        try {
            // The call's own deadline (--timeout) bounds this: a late answer is an unknown outcome (exit 4).
            return new Outcome<>(outcome(answer.get(), null), null);
        } catch (ExecutionException e) {
            return new Outcome<>(outcome(null, e), null);
        }
    }

    /** {@code value}, or what the call threw ({@code failed}'s cause) thrown as it is. */
    private static <T> T outcome(T value, ExecutionException failed) throws Refused {
        if (failed == null) {
            return value;
        }
        Throwable cause = failed.getCause();
        if (cause instanceof RuntimeException x) {
            throw x;
        }
        if (cause instanceof Error x) {
            throw x;
        }
        if (cause instanceof Refused x) {
            throw x;
        }
        // the MBean interface's calls declare no checked exception (the channel's proxy wraps any)
        throw new java.lang.reflect.UndeclaredThrowableException(cause);
    }

    /**
     * The closing callback of {@code patch} (cleaned) that one read over a second connection finds is this command's:
     * the agent's answer to the call's token ({@code token}), or, with none, a status read that {@code ours} proves;
     * {@code null} otherwise, a look that fails included (the call's own answer, or its deadline, decides then).
     * Only from that one read: nothing is printed before it has answered, and no second look (which may find the
     * callback returned meanwhile, or fail halfway through the lines) can contradict it. The side connection is
     * closed before the caller prints.
     */
    private static String closingOfOurs(long pid, String patch, long timeoutSeconds, String token, Ours ours,
                                        Instant asked) {
        if (token == null && ours == null) {
            return null; // nothing could prove it: no second connection
        }
        try (TargetJvm side = TargetJvm.connect(pid, null, timeoutSeconds)) {
            if (token != null) {
                String running = side.ownClosing(patch, token);
                return running == null ? null : Text.clean(running);
            }
            StatusJson listed = StatusJson.patch(side.livepatch().statusJson(), patch);
            String closing = Transitions.closingCallback(listed);
            return closing != null && ours.test(listed, asked) ? closing : null;
        } catch (Refused | RuntimeException cannotTell) {
            return null;
        }
    }

    /** The call's connection's token ({@link TargetJvm#sessionToken}). */
    @FunctionalInterface
    interface Token {
        String get() throws Refused;
    }

    /** What the command prints when {@link #await} found its call held: what the other --wait paths print for it. */
    static void printHeld(java.io.PrintWriter out, long pid, String patch, String state, long waitSeconds,
                          String closing) {
        Transitions.printClosingOnly(out, pid, Text.clean(patch), state, waitSeconds, closing);
    }
}
