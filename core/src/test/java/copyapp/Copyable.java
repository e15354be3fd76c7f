package copyapp;

import java.util.function.IntUnaryOperator;

/** Methods OriginalCopyTest copies and runs from a hidden nestmate: each must give what the method gives. */
public class Copyable {

    private final int base;
    private long total;
    private static String lastTag = "";

    public Copyable(int base) {
        this.base = base;
    }

    private int shifted(int x) {
        return x + base;
    }

    private static String tag(String s) {
        return "<" + s + ">";
    }

    /** A private method and field, a lambda, string concatenation. */
    public String describe(String s) {
        IntUnaryOperator f = x -> shifted(x) * 2;
        lastTag = tag(s);
        return lastTag + f.applyAsInt(1);
    }

    /** Two-slot parameters, a loop at the first instruction (a frame at offset 0), a field write. */
    public long sum(long from, double scale, int n) {
        while (n > 0) {
            total += (long) (from * scale) + n;
            n--;
        }
        return total;
    }

    /** A try/catch and a constructor call of the class itself. */
    public static int parse(String s) {
        try {
            return new Copyable(Integer.parseInt(s)).base;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** An array's clone is public: copied. */
    public static int[] twice(int[] a) {
        int[] b = a.clone();
        for (int i = 0; i < b.length; i++) {
            b[i] *= 2;
        }
        return b;
    }

    /** Reads the receiver's field: a null receiver must fail before any of it runs. */
    public String name() {
        lastTag = "name";
        return "c" + base;
    }

    /** Holds the receiver's monitor; throws when asked to, which must release it. */
    public synchronized boolean locked(boolean fail) {
        if (fail) {
            throw new IllegalStateException("asked to fail");
        }
        return Thread.holdsLock(this);
    }

    /** Holds the class's monitor. */
    public static synchronized boolean lockedStatic() {
        return Thread.holdsLock(Copyable.class);
    }

    public static String lastTag() {
        return lastTag;
    }

    /** An enum's method: Enum's protected members are its constructor, clone and finalize. */
    public enum Size {
        SMALL, LARGE;

        public Size next() {
            return values()[(ordinal() + 1) % values().length];
        }
    }

    /** A record's own method. */
    public record Box(int w, int h) {
        public int area() {
            return w * h;
        }
    }
}
