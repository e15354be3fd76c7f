package agentapp.fix;

import agentapp.Greeter;
import io.jlivepatch.PostUnpatch;
import io.jlivepatch.PrePatch;
import io.jlivepatch.Replaces;

/** A Livepatch-Class with callbacks, for {@code inspect}. */
public final class CallbacksFix {

    private CallbacksFix() {
    }

    @Replaces(target = "agentapp.Greeter", method = "greet")
    public static String greet(Greeter self, String name) {
        return "fixed " + name.trim();
    }

    @PrePatch("agentapp.Greeter")
    public static void prepare(Class<?> target) {
    }

    @PostUnpatch("agentapp.Greeter")
    public static void cleanUp(Class<?> target) {
    }

    /** Not a callback: it takes no class. */
    public static void helper() {
    }
}
