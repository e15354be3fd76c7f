package jarapp.fix;

import io.jlivepatch.PostPatch;
import io.jlivepatch.PostUnpatch;
import io.jlivepatch.PrePatch;
import io.jlivepatch.PreUnpatch;
import io.jlivepatch.Replaces;
import jarapp.CallbackLog;
import jarapp.Counter;

/** A Livepatch-Class with the four callbacks of jarapp.Counter; they write to {@link CallbackLog}. */
public final class CallbackFix {

    private CallbackFix() {
    }

    @Replaces(target = "jarapp.Counter", method = "next")
    public static int next(Counter self) {
        return -1;
    }

    @PrePatch("jarapp.Counter")
    public static void prepare(Class<?> target) {
        CallbackLog.EVENTS.add("prePatch " + target.getName() + " sees " + new Counter().next());
        if (CallbackLog.failPrePatch) {
            throw new IllegalStateException("the counter cannot be prepared");
        }
    }

    @PostPatch("jarapp.Counter")
    public static void patched(Class<?> target) {
        CallbackLog.EVENTS.add("postPatch " + target.getName());
    }

    @PreUnpatch("jarapp.Counter")
    public static void unpatching(Class<?> target) {
        CallbackLog.EVENTS.add("preUnpatch " + target.getName());
    }

    @PostUnpatch("jarapp.Counter")
    public static void unpatched(Class<?> target) {
        CallbackLog.EVENTS.add("postUnpatch " + target.getName());
    }
}
