package jarapp;

import io.jlivepatch.Replaces;

/** The patch class of ScanAcrossPreparingTest: a hidden nestmate of {@link LateHost}. */
public final class LateHostNestmate {

    private LateHostNestmate() {
    }

    @Replaces(target = "jarapp.LateHost", method = "value")
    public static int value(LateHost self) {
        return 42;
    }
}
