package testapp;

/** One name, several descriptors. */
public class Overloads {
    public String f(int x) {
        return "int " + x;
    }

    public String f(long x) {
        return "long " + x;
    }

    public String f(String x) {
        return "String " + x;
    }

    public String f(Object x) {
        return "Object " + x;
    }

    public static String f() {
        return "none";
    }
}
