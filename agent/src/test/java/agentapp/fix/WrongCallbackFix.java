package agentapp.fix;

import agentapp.Greeter;
import io.jlivepatch.PrePatch;
import io.jlivepatch.Replaces;

/** A Livepatch-Class whose callback has the wrong signature: inspect refuses it, as load would. */
public final class WrongCallbackFix {

    private WrongCallbackFix() {
    }

    @Replaces(target = "agentapp.Greeter", method = "greet")
    public static String greet(Greeter self, String name) {
        return name;
    }

    @PrePatch("agentapp.Greeter")
    public static boolean prepare(Class<?> target) {
        return true;
    }
}
