package testapp.lateaudit;

import java.util.function.Supplier;

/** Loaded by the application loader, then defined again by other loaders after its patch was enabled. */
public class AuditedLater implements Supplier<String> {
    @Override
    public String get() {
        return "own code";
    }
}
