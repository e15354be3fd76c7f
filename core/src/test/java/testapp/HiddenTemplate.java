package testapp;

import java.util.function.Supplier;

/** Class bytes for a hidden class (defined with Lookup.defineHiddenClass). */
public class HiddenTemplate implements Supplier<String> {
    @Override
    public String get() {
        return "hidden";
    }
}
