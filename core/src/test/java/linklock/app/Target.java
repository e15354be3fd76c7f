package linklock.app;

import java.util.function.Supplier;

/** Defined by the driver's parallel-capable loader; {@link Other} is named only in a signature. */
public class Target implements Supplier<String> {
    @Override
    public String get() {
        return run(null);
    }

    public static String run(Param p) {
        return "original";
    }

    public Other other(Other o) {
        return o;
    }
}
