package bench.target;

/**
 * The {@code adviceRedirect} alternative of {@code CallCost}: the same code as {@link UsernameRule},
 * redefined by Byte Buddy with an {@code Advice} entry hook that calls the replacement and skips
 * this body (how most Java agents redirect a method). A class of its own, so that it never
 * interferes with jlivepatch's target.
 */
public class AdviceUsernameRule {

    private final int maxLength;

    public AdviceUsernameRule(int maxLength) {
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
}
