package testapp.late;

import java.util.function.IntSupplier;

/** Never loaded by the application loader; value() is static, which a patch may not expect. */
public class LateStatic implements IntSupplier {
    public static int value() {
        return 1;
    }

    @Override
    public int getAsInt() {
        return value();
    }
}
