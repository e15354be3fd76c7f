package jarapp.fix;

import io.jlivepatch.PostPatch;
import io.jlivepatch.Replaces;
import jarapp.Counter;

/** A Livepatch-Class whose postPatch of jarapp.Counter throws a checked exception. */
public final class CheckedPostPatch {

    private CheckedPostPatch() {
    }

    @Replaces(target = "jarapp.Counter", method = "next")
    public static int next(Counter self) {
        return -1;
    }

    @PostPatch("jarapp.Counter")
    public static void patched(Class<?> target) throws java.io.IOException {
        throw new java.io.IOException("the cache of " + target.getName() + " cannot be warmed");
    }
}
