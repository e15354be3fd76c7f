package testapp.late;

import java.util.function.Supplier;

/** Loaded by the application loader (for a replacement typed with it) and defined again in fresh loaders. */
public class LateMisfitRetransformed implements Supplier<String> {
    @Override
    public String get() {
        return "misfit original";
    }
}
