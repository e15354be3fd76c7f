package bench.target;

import java.util.concurrent.CountDownLatch;

/**
 * The {@code inTransition} target of {@code CallCost}: the same code as {@link UsernameRule}, plus
 * {@link #hold}, a second method of the same patch in which a thread waits, so that the patch's
 * transition stays open (a thread inside an old method of a patch holds its transition).
 */
public class TransitionUsernameRule {

    private final int maxLength;

    public TransitionUsernameRule(int maxLength) {
        this.maxLength = maxLength;
    }

    public int maxLength() {
        return maxLength;
    }

    /** {@code true} for 1 to {@code maxLength} characters from {@code [a-z0-9_]}; the bug: also for "". */
    public boolean isValid(String name) {
        int n = name.length();
        if (n > maxLength) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Counts {@code entered} down, then waits until {@code release} is counted down: a thread sitting
     * here holds the transition of any patch that replaces this method.
     */
    public static void hold(CountDownLatch entered, CountDownLatch release) {
        entered.countDown();
        boolean interrupted = false;
        while (true) {
            try {
                release.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
