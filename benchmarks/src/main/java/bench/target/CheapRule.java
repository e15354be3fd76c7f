package bench.target;

/**
 * A target that costs about a nanosecond, for CallCost's cheap variants: what a hook costs shows
 * here, where the UsernameRule's 7 ns would hide a fraction of one (issue 14).
 */
public class CheapRule {

    private final int factor;

    public CheapRule(int factor) {
        this.factor = factor;
    }

    public int factor() {
        return factor;
    }

    /** The bug: forgets the offset. */
    public int scale(int x) {
        return x * factor;
    }
}
