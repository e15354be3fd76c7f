package jarapp.fix;

import io.jlivepatch.Replaces;
import jarapp.Counter;

/** The Livepatch-Class of the patch JAR tests. */
public final class CounterFix {

    private CounterFix() {
    }

    @Replaces(target = "jarapp.Counter", method = "next")
    public static int next(Counter self) {
        return -1;
    }

    @Replaces(target = "jarapp.Counter", method = "label", descriptor = "(I)Ljava/lang/String;")
    public static String label(int n) {
        return "label " + n;
    }
}
