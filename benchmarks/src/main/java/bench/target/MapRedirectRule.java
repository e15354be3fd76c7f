package bench.target;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * The {@code mapRedirect} alternative of {@code CallCost}: a registry of replacements, a
 * {@link ConcurrentHashMap} from method key to function, looked up at the top of the method (a
 * hand-written hot-fix hook that serves many methods).
 */
public class MapRedirectRule {
    /** The key of {@link #isValid}. */
    public static final String KEY = "bench.target.MapRedirectRule.isValid(Ljava/lang/String;)Z";

    /** Method key to replacement; absent: none. */
    public static final ConcurrentHashMap<String, BiFunction<MapRedirectRule, String, Boolean>> REDIRECTS =
            new ConcurrentHashMap<>();

    private final int maxLength;

    public MapRedirectRule(int maxLength) {
        this.maxLength = maxLength;
    }

    public int maxLength() {
        return maxLength;
    }

    /** {@code true} for 1 to {@code maxLength} characters from {@code [a-z0-9_]}; the bug: also for "". */
    public boolean isValid(String name) {
        BiFunction<MapRedirectRule, String, Boolean> f = REDIRECTS.get(KEY);
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
