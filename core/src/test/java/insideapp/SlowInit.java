package insideapp;

/** An application class whose static initializer waits at {@link Hold#APP_INIT}: AppInitPatch's call runs it. */
public final class SlowInit {

    private static final int VALUE;

    static {
        Hold.APP_INIT.here();
        VALUE = 2;
    }

    private SlowInit() {
    }

    public static int value() {
        return VALUE;
    }
}
