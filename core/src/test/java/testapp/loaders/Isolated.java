package testapp.loaders;

import java.util.function.Supplier;

/** Defined by several class loaders under the same name. */
public class Isolated implements Supplier<String> {
    @Override
    public String get() {
        return "original";
    }
}
