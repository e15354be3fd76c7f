package bench.target;

/**
 * The {@code afterDisable} target of {@code CallCost}: the same code as {@link UnpatchedUsernameRule},
 * patched (and called while patched), then disabled. Once the patch is off the hook must be gone and
 * a call must cost what {@code original} costs. Keep the body identical to {@link UnpatchedUsernameRule}.
 */
public class DisabledUsernameRule {

    private final int maxLength;

    public DisabledUsernameRule(int maxLength) {
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
