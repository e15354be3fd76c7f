package testapp;

/** Methods with every kind of modifier a target may carry. */
public class Modifiers {
    private final String name;

    public Modifiers(String name) {
        this.name = name;
    }

    public String plain(String s) {
        return name + ":" + s;
    }

    public static int stat(int x) {
        return x + 1;
    }

    private String secret() {
        return "secret of " + name;
    }

    public String reveal() {
        return secret();
    }

    public final String fin() {
        return "final " + name;
    }

    public synchronized int sync(int x) {
        return x * 10;
    }

    public String name() {
        return name;
    }
}
