package jarapp.fix;

import io.jlivepatch.Replaces;
import jarapp.Counter;

/** Wrongly shaped: an instance method marked as a replacement. */
public final class NotStaticFix {
    @Replaces(target = "jarapp.Counter", method = "next")
    public int next(Counter self) {
        return 0;
    }
}
