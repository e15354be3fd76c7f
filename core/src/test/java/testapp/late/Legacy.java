package testapp.late;

import java.util.function.Supplier;

/**
 * Never loaded by the application loader; a test defines it with its class file version lowered
 * to 50 (Java 6), which cannot hold invokedynamic. No string concatenation or lambda here: those
 * compile to invokedynamic too.
 */
public class Legacy implements Supplier<String> {
    @Override
    public String get() {
        return "legacy";
    }
}
