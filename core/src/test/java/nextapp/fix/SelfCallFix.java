package nextapp.fix;

import io.jlivepatch.Replaces;
import nextapp.Shop;

/**
 * The Livepatch-Class of SelfCallsTest: replacements that call the very method they replace (the
 * mistake @Next is for), and one that calls another method of its target class.
 */
public final class SelfCallFix {

    private SelfCallFix() {
    }

    /** Meant to wrap the original: the call enters the hook again and runs this replacement again. */
    @Replaces(target = "nextapp.Shop", method = "plain")
    public static String plain(Shop self, String s) {
        return "(" + self.plain(s.trim()) + ")";
    }

    /** The same for a static method, with the descriptor given. */
    @Replaces(target = "nextapp.Shop", method = "twice", descriptor = "(I)I")
    public static int twice(int x) {
        return Shop.twice(x) + 1;
    }

    /** Calls another method of the class it patches: no warning. */
    @Replaces(target = "nextapp.Shop", method = "label")
    public static String label(Shop self, String name) {
        return self.plain(name);
    }
}
