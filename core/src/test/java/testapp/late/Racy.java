package testapp.late;

import java.util.function.Supplier;

/**
 * Never loaded by the application loader. Calling get() never makes the JVM resolve Param (null is
 * passed), so the first resolution of Param through this class's loader happens when jlivepatch
 * reflects on the class while it links the hook of run().
 */
public class Racy implements Supplier<String> {
    @Override
    public String get() {
        return run(null);
    }

    public String run(Param p) {
        return "original";
    }
}
