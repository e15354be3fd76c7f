package bench.target;

/**
 * The target of {@code ToggleCost}: a username check that returns a verdict code instead of a
 * boolean, so that every call tells which version ran. The original's codes are 0 to 100, the
 * replacement's ({@link ToggledRuleFix}) 1000 to 1100: a result that is neither the original's nor
 * the replacement's answer for that input is a failed call.
 */
public class ToggledRule {

    private final int maxLength;

    public ToggledRule(int maxLength) {
        this.maxLength = maxLength;
    }

    public int maxLength() {
        return maxLength;
    }

    /** 0 when valid, 100 when too long, else 1 + the index of the first bad character; the bug: 0 for "". */
    public int verdict(String name) {
        int n = name.length();
        if (n > maxLength) {
            return 100;
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
                return 1 + i;
            }
        }
        return 0;
    }
}
