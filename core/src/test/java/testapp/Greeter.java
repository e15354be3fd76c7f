package testapp;

public class Greeter {
    public String greet(String name) {
        return "Hello, " + name;
    }

    public static int twice(int x) {
        return 2 * x;
    }
}
