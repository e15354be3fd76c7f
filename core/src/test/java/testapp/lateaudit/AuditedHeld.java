package testapp.lateaudit;

import java.util.function.Supplier;

/** Loaded by the application loader; defined again by other loaders, many, while its patch is being enabled. */
public class AuditedHeld implements Supplier<String> {
    @Override
    public String get() {
        return "own code";
    }
}
