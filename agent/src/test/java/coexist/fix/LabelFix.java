package coexist.fix;

import io.jlivepatch.Replaces;

/** Patch class of the coexistence tests' fix-label JAR: another method of the class fix-price patches. */
public final class LabelFix {

    private LabelFix() {
    }

    @Replaces(target = "coexist.app.Pricing", method = "label", descriptor = "(Ljava/lang/String;)Ljava/lang/String;")
    public static String label(String name) {
        return "fixed " + name;
    }
}
