package testapp.lateaudit;

import java.util.function.Supplier;

/** Defined by a class loader after its patch was enabled, then dropped with it (LinkAuditForgetTest). */
public class AuditedForgotten implements Supplier<String> {
    @Override
    public String get() {
        return "own code";
    }
}
