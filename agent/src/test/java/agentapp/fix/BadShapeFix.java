package agentapp.fix;

import agentapp.Greeter;
import io.jlivepatch.Replaces;

/** A wrongly shaped Livepatch-Class: its replacement is not static. */
public final class BadShapeFix {

    @Replaces(target = "agentapp.Greeter", method = "greet")
    public String greet(Greeter self, String name) {
        return "never";
    }
}
