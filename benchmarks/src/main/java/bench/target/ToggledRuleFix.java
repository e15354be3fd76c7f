package bench.target;

/** The replacement of {@link ToggledRule#verdict(String)}: the same check, codes from 1000, "" rejected (1099). */
public final class ToggledRuleFix {

    private ToggledRuleFix() {
    }

    public static int verdict(ToggledRule rule, String name) {
        int n = name.length();
        if (n == 0) {
            return 1099;
        }
        if (n > rule.maxLength()) {
            return 1100;
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
                return 1001 + i;
            }
        }
        return 1000;
    }
}
