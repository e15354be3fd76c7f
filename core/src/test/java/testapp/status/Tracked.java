package testapp.status;

import java.util.function.Supplier;

/** Defined by the application loader and by isolated loaders, for per-loader status. */
public class Tracked implements Supplier<String> {
    @Override
    public String get() {
        return "tracked";
    }

    public static int count() {
        return 0;
    }
}
