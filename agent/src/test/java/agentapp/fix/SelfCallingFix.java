package agentapp.fix;

import agentapp.Greeter;
import io.jlivepatch.Replaces;

/** A replacement that calls the method it replaces, meaning the original (the mistake @Next is for). */
public final class SelfCallingFix {

    private SelfCallingFix() {
    }

    @Replaces(target = "agentapp.Greeter", method = "greet")
    public static String greet(Greeter self, String name) {
        return self.greet(name.trim());
    }
}
