package bench.target;

/**
 * CheapRule's twin for CallCost's {@code cheapNext}: patched with a replacement that only calls the
 * version below through {@code @Next} (the original code), so it must cost what the original costs.
 */
public class NextCheapRule {

    private final int factor;

    public NextCheapRule(int factor) {
        this.factor = factor;
    }

    public int scale(int x) {
        return x * factor;
    }
}
