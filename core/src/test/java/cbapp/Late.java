package cbapp;

import java.util.function.Supplier;

/**
 * A target of the callback tests that only {@code IsolatingLoader}s define, each its own copy,
 * after the patch was enabled (the test class loader never loads it).
 */
public class Late implements Supplier<String> {

    @Override
    public String get() {
        return "original";
    }
}
