package testapp.failed;

import java.util.function.IntSupplier;

/**
 * Never loaded by the application loader, and by one test only (FailedFunctionsAttributeTest): a
 * copy another test left loaded would make that test's enable refuse. value() is static, which a
 * patch may not expect.
 */
public class OddLoaderMisfit implements IntSupplier {
    public static int value() {
        return 1;
    }

    @Override
    public int getAsInt() {
        return value();
    }
}
