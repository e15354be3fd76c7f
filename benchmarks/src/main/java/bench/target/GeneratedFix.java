package bench.target;

/**
 * The one replacement shared by every generated target method ({@code public static int m<j>(int)}
 * of the classes {@code io.jlivepatch.bench.GeneratedTargets} defines): the originals return
 * {@code 31 * x + j} (j from 0 to 9), this returns {@code 31 * x - 1}, so a call tells which ran.
 */
public final class GeneratedFix {

    private GeneratedFix() {
    }

    public static int replacement(int x) {
        return 31 * x - 1;
    }
}
