package testapp.lateaudit;

import java.util.function.Supplier;

/** Loaded by the application loader and again by another loader, where a replacement typed for the first does not fit. */
public class AuditedMisfit implements Supplier<String> {
    @Override
    public String get() {
        return "own code";
    }
}
