package bench.target;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * The {@code reflectiveRedirect} alternative of {@code CallCost}: the redirect a naive agent or a
 * hand-written hot-fix hook builds, a {@code static volatile Method} checked at the top of the method
 * and called with {@link Method#invoke}.
 */
public class ReflectiveRedirectRule {
    /** The replacement, {@code public static boolean f(ReflectiveRedirectRule, String)}; {@code null}: none. */
    public static volatile Method redirect;

    private final int maxLength;

    public ReflectiveRedirectRule(int maxLength) {
        this.maxLength = maxLength;
    }

    public int maxLength() {
        return maxLength;
    }

    /** {@code true} for 1 to {@code maxLength} characters from {@code [a-z0-9_]}; the bug: also for "". */
    public boolean isValid(String name) {
        Method m = redirect;
        if (m != null) {
            try {
                return (Boolean) m.invoke(null, this, name);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            } catch (InvocationTargetException e) {
                throw new IllegalStateException(e.getCause());
            }
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
