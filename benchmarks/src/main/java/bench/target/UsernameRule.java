package bench.target;

/**
 * The benchmark's patch target: a small, realistic check of the kind a live patch fixes. It has a
 * bug: it accepts the empty name. {@link UsernameRuleFix#isValid(UsernameRule, String)} is the fix.
 *
 * <p>It lives outside {@code io.jlivepatch.*} because jlivepatch refuses to patch itself.
 * {@link UnpatchedUsernameRule} is a byte-for-byte equivalent copy that is never patched; keep the
 * two bodies identical.
 */
public class UsernameRule {

    private final int maxLength;

    public UsernameRule(int maxLength) {
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
