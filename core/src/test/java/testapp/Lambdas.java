package testapp;

import java.lang.invoke.MethodHandles;
import java.util.function.Supplier;

/** A lambda proxy and a lookup to define hidden classes in this package. */
public final class Lambdas {
    private Lambdas() {
    }

    public static Supplier<String> supplier() {
        return () -> "from a lambda";
    }

    public static MethodHandles.Lookup lookup() {
        return MethodHandles.lookup();
    }
}
