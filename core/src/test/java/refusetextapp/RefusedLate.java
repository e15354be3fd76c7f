package refusetextapp;

import java.util.function.Supplier;

/** RefusalTextLockDriver's class whose prePatch throws: defined after its patch was enabled. */
public class RefusedLate implements Supplier<String> {

    @Override
    public String get() {
        return "original";
    }
}
