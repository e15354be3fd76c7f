package bench.target;

import java.util.concurrent.CountDownLatch;

/**
 * The replacement of {@link UsernameRule#isValid(String)}: {@code public static}, the receiver first.
 * It does the same work as the original plus the missing empty check, so that {@code original},
 * {@code direct} and {@code patched} run comparable code.
 *
 * <p>Every copy of the target that {@code CallCost} redirects (jlivepatch, reflection, a volatile
 * field, a map, Byte Buddy advice) gets an overload of {@code isValid} taking that copy as the
 * receiver; all of them run the one body, {@link #check(int, String)}, so every variant does the same work.
 */
public final class UsernameRuleFix {

    private UsernameRuleFix() {
    }

    public static boolean isValid(UsernameRule rule, String name) {
        return check(rule.maxLength(), name);
    }

    public static boolean isValid(DisabledUsernameRule rule, String name) {
        return check(rule.maxLength(), name);
    }

    public static boolean isValid(TransitionUsernameRule rule, String name) {
        return check(rule.maxLength(), name);
    }

    public static boolean isValid(ReflectiveRedirectRule rule, String name) {
        return check(rule.maxLength(), name);
    }

    public static boolean isValid(VolatileRedirectRule rule, String name) {
        return check(rule.maxLength(), name);
    }

    public static boolean isValid(MapRedirectRule rule, String name) {
        return check(rule.maxLength(), name);
    }

    public static boolean isValid(AdviceUsernameRule rule, String name) {
        return check(rule.maxLength(), name);
    }

    /** The replacement of {@link TransitionUsernameRule#hold}: returns at once. */
    public static void hold(CountDownLatch entered, CountDownLatch release) {
    }

    /** The fixed check: 1 to {@code maxLength} characters from {@code [a-z0-9_]}, never the empty name. */
    public static boolean check(int maxLength, String name) {
        int n = name.length();
        if (n == 0 || n > maxLength) {
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
