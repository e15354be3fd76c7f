package testapp.batch;

public class Alpha {
    public int one() {
        return 1;
    }

    public int two() {
        return 2;
    }

    public static int three() {
        return 3;
    }
}
