package bench.target;

/**
 * The same code as {@link UsernameRule}, in a class that no patch ever touches: the {@code original}
 * baseline. A separate class, because once a class has been retransformed its compiled code and
 * profile are not those of a class that never was.
 */
public class UnpatchedUsernameRule {

    private final int maxLength;

    public UnpatchedUsernameRule(int maxLength) {
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
