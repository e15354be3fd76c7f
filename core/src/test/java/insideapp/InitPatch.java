package insideapp;

/** A patch class whose static initializer, run by the first call of its replacement, waits at {@link Hold#INIT}. */
public final class InitPatch {

    static {
        Hold.INIT.here();
    }

    private InitPatch() {
    }

    public static int value() {
        return 2;
    }
}
