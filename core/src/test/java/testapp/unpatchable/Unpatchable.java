package testapp.unpatchable;

/** Methods with no bytecode of their own to hook, a constructor and a class initializer. */
public abstract class Unpatchable {
    public static final long LOADED_AT;

    static {
        LOADED_AT = System.nanoTime();
    }

    public Unpatchable() {
    }

    public abstract int abstractMethod();

    public native int nativeMethod();

    public int concrete() {
        return 7;
    }
}
