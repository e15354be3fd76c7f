package testapp;

import java.io.IOException;

public class Thrower {
    public String risky(String s) throws IOException {
        return "fine " + s;
    }

    public static int unchecked(int x) {
        return x;
    }
}
