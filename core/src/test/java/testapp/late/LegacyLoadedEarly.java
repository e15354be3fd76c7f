package testapp.late;

import java.util.function.Supplier;

/**
 * Never loaded by the application loader; tests define it, with its class file version lowered to 50
 * (Java 6), which cannot hold invokedynamic, before they register a patch for it. No string
 * concatenation or lambda here: those compile to invokedynamic too.
 */
public class LegacyLoadedEarly implements Supplier<String> {
    @Override
    public String get() {
        return "legacy";
    }
}
