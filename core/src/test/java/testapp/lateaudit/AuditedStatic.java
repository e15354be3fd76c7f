package testapp.lateaudit;

import java.util.function.IntSupplier;

/** Never loaded by the application loader; value() is static, which the patch does not expect. */
public class AuditedStatic implements IntSupplier {
    public static int value() {
        return 1;
    }

    @Override
    public int getAsInt() {
        return value();
    }
}
