package latelockapp;

import java.util.function.Supplier;

/**
 * The class of LateCallbackLockDriver defined after its patch was enabled: named by its name only, and
 * loaded first inside the shadow variable's ctor or the static initializer, so that its callbacks
 * run at its first call.
 */
public class Late implements Supplier<String> {

    @Override
    public String get() {
        return "original";
    }
}
