package agentapp.fix;

import agentapp.Greeter;
import io.jlivepatch.PostPatch;
import io.jlivepatch.PostUnpatch;
import io.jlivepatch.Replaces;

/** A patch whose closing callbacks throw: they cannot stop a change, and the command says they failed. */
public final class FailingCallbacksFix {

    private FailingCallbacksFix() {
    }

    @Replaces(target = "agentapp.Greeter", method = "greet")
    public static String greet(Greeter self, String name) {
        return "fixed " + name.trim();
    }

    @PostPatch("agentapp.Greeter")
    public static void warmUp(Class<?> target) {
        throw new IllegalStateException("no warm-up");
    }

    @PostUnpatch("agentapp.Greeter")
    public static void flush(Class<?> target) {
        throw new IllegalStateException("no flush");
    }
}
