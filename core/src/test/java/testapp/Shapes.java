package testapp;

/** Methods whose first instruction is a loop head or the start of a try block. */
public final class Shapes {
    private Shapes() {
    }

    /** Compiles to a loop whose condition is the method's first instruction (a branch target). */
    public static int loopAtStart(int n) {
        while (n > 100) {
            n -= 7;
        }
        return n;
    }

    /** The exception handler's range starts at the method's first instruction. */
    public static String tryAtStart(String s) {
        try {
            return s.trim();
        } catch (RuntimeException e) {
            return "caught by the original";
        }
    }
}
