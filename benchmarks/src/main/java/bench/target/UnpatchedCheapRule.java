package bench.target;

/** The same code as {@link CheapRule}, in a class no patch ever touches: the cheap {@code original} baseline. */
public class UnpatchedCheapRule {

    private final int factor;

    public UnpatchedCheapRule(int factor) {
        this.factor = factor;
    }

    public int scale(int x) {
        return x * factor;
    }
}
