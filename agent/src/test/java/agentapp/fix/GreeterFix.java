package agentapp.fix;

import agentapp.Greeter;
import io.jlivepatch.Replaces;

/** The Livepatch-Class of the test patch JARs. */
public final class GreeterFix {

    private GreeterFix() {
    }

    @Replaces(target = "agentapp.Greeter", method = "greet")
    public static String greet(Greeter self, String name) {
        return "fixed " + name.trim();
    }
}
