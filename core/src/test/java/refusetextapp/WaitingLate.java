package refusetextapp;

import java.util.function.Supplier;

/** RefusalTextLockDriver's class first called from a static initializer: defined after its patch was enabled. */
public class WaitingLate implements Supplier<String> {

    @Override
    public String get() {
        return "original";
    }
}
