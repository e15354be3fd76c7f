package testapp.lateaudit;

import java.util.function.Supplier;

/** Never loaded by the application loader: defined by other loaders after its patch was enabled. */
public class AuditedAtExitOrder implements Supplier<String> {
    @Override
    public String get() {
        return "own code";
    }
}
