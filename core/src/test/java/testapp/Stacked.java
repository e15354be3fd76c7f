package testapp;

public class Stacked {
    public int value() {
        return 1;
    }

    public int other() {
        return 10;
    }
}
