package jarapp.fix;

import io.jlivepatch.PrePatch;
import io.jlivepatch.Replaces;
import io.jlivepatch.Shadow;
import jarapp.Counter;

/** A patch whose prePatch attaches a value of its own class to its target class, then refuses. */
public final class AttachingPrePatchFix {

    /** The variable the prePatch attaches. */
    public static final long PREPARED = 0x6a6c_7e57_0000_0003L;

    private AttachingPrePatchFix() {
    }

    /** This patch's own class. */
    public static final class Prepared {
    }

    @Replaces(target = "jarapp.Counter", method = "next")
    public static int next(Counter self) {
        return -1;
    }

    @PrePatch("jarapp.Counter")
    public static void prepare(Class<?> target) {
        Shadow.attach(target, PREPARED, Prepared::new);
        throw new IllegalStateException("refused after attaching");
    }
}
