package agentapp.fix;

import agentapp.Greeter;
import io.jlivepatch.Replaces;

/** A patch class whose static initializer throws: its function fails at the first call, the method runs its own code. */
public final class BrokenInitFix {

    static {
        if (Boolean.TRUE) {
            throw new IllegalStateException("broken initializer");
        }
    }

    private BrokenInitFix() {
    }

    @Replaces(target = "agentapp.Greeter", method = "greet")
    public static String greet(Greeter self, String name) {
        return "never " + name;
    }
}
