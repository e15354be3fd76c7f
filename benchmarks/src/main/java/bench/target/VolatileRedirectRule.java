package bench.target;

import java.util.function.BiFunction;

/**
 * The {@code volatileRedirect} alternative of {@code CallCost}: a {@code static volatile} function
 * field checked at the top of the method (a hand-written hot-fix hook).
 */
public class VolatileRedirectRule {
    /** The replacement; {@code null}: none. */
    public static volatile BiFunction<VolatileRedirectRule, String, Boolean> redirect;

    private final int maxLength;

    public VolatileRedirectRule(int maxLength) {
        this.maxLength = maxLength;
    }

    public int maxLength() {
        return maxLength;
    }

    /** {@code true} for 1 to {@code maxLength} characters from {@code [a-z0-9_]}; the bug: also for "". */
    public boolean isValid(String name) {
        BiFunction<VolatileRedirectRule, String, Boolean> f = redirect;
        if (f != null) {
            return f.apply(this, name);
        }
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
