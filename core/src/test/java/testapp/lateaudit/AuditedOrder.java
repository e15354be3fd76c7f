package testapp.lateaudit;

import java.util.function.Supplier;

/** Loaded by the application loader; defined again by another loader while its patch is being enabled. */
public class AuditedOrder implements Supplier<String> {
    @Override
    public String get() {
        return "own code";
    }
}
