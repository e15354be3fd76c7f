package testapp.late;

import java.util.function.Supplier;

/** Never loaded by the application loader: only defined in fresh loaders after a patch is enabled. */
public class LateGreeter implements Supplier<String> {
    @Override
    public String get() {
        return "late original";
    }
}
