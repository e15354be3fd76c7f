package jarapp.fix;

import io.jlivepatch.PrePatch;
import io.jlivepatch.Replaces;
import jarapp.Counter;

/**
 * A Livepatch-Class whose prePatch ends the JVM ({@code System.exit(3)}), as application code a
 * callback calls may: the enable is cut short, and the audit file's drain at the exit has its line.
 */
public final class ExitingPrePatchFix {

    private ExitingPrePatchFix() {
    }

    @Replaces(target = "jarapp.Counter", method = "next")
    public static int next(Counter self) {
        return -1;
    }

    @PrePatch("jarapp.Counter")
    public static void prepare(Class<?> target) {
        System.exit(3);
    }
}
