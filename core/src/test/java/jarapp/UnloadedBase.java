package jarapp;

/** The superclass of {@link UnloadedShelf}, loaded by no test: its members are read from its class file. */
public class UnloadedBase {

    static int inherited() {
        return 2;
    }

    public static int shared() {
        return 3;
    }
}
