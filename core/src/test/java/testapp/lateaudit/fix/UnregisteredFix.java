package testapp.lateaudit.fix;

import io.jlivepatch.Replaces;

/**
 * The patch class of a patch JAR (LateLoaderAuditTest): written for an instance method (a receiver
 * first) where AuditedStaticUnregistered declares {@code value()} static, so that a later loader's
 * copy cannot be hooked. Loaded from a JAR so that its audit entries have a provenance to check.
 */
public final class UnregisteredFix {

    private UnregisteredFix() {
    }

    @Replaces(target = "testapp.lateaudit.AuditedStaticUnregistered", method = "value", descriptor = "()I")
    public static int value(Object receiver) {
        return 42;
    }
}
