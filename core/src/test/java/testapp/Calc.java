package testapp;

/** Target of the signature checks. */
public class Calc {
    public int add(int a, int b) {
        return a + b;
    }

    public static int square(int a) {
        return a * a;
    }
}
