package smhold.fix;

import io.jlivepatch.Replaces;

/** SecurityManagerTransitionTest's patch of {@code smhold.Slow.quote}. */
public final class SlowFix {

    private SlowFix() {
    }

    @Replaces(target = "smhold.Slow", method = "quote")
    public static int quote(int x) {
        return x * 10;
    }
}
