package testapp;

/** Every primitive kind, two-slot values, arrays, varargs and void. */
public class Primitives {
    public static String lastRecorded = "";

    public static boolean not(boolean b) {
        return !b;
    }

    public static byte incByte(byte b) {
        return (byte) (b + 1);
    }

    public static char nextChar(char c) {
        return (char) (c + 1);
    }

    public static short incShort(short s) {
        return (short) (s + 1);
    }

    public static int incInt(int i) {
        return i + 1;
    }

    public static long addLong(long a, long b) {
        return a + b;
    }

    public static float half(float f) {
        return f / 2;
    }

    public static double mulDouble(double a, double b) {
        return a * b;
    }

    public static int[] reverse(int[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            r[a.length - 1 - i] = a[i];
        }
        return r;
    }

    public static String[][] grid(String s, int n) {
        String[][] g = new String[n][n];
        for (String[] row : g) {
            java.util.Arrays.fill(row, s);
        }
        return g;
    }

    public static int sum(int... xs) {
        int s = 0;
        for (int x : xs) {
            s += x;
        }
        return s;
    }

    public static void record(String s) {
        lastRecorded = "original " + s;
    }

    /** Long and double around other values: slots 1-2 and 4-5 of an instance method. */
    public double mix(long l, int i, double d, float f, Object o) {
        return l + i + d + f + (o == null ? 0 : 1000);
    }

    public void voidInstance(long l, double d) {
        lastRecorded = "original " + l + " " + d;
    }
}
