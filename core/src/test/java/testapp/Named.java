package testapp;

/** An interface with a default and a static method. */
public interface Named {
    String name();

    default String greeting() {
        return "hello from " + name();
    }

    static String shout(String s) {
        return s.toUpperCase();
    }
}
