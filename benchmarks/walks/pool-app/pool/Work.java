package pool;

/** What a pool task computes; the patch makes 2x into 3x. */
public final class Work {
    public static int answer(int x) {
        return 2 * x;
    }
}
