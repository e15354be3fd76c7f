package jarapp;

import io.jlivepatch.Replaces;

/**
 * A {@code Livepatch-Nestmates} patch class whose own name is in a method's return type: refused at
 * load with why (HiddenNestmateTest), since the JVM checks that type against a class of that
 * name, and the hidden class has none.
 */
public final class SelfNamingNestmate {

    private int n = 7;

    static SelfNamingNestmate make() {
        return new SelfNamingNestmate();
    }

    @Replaces(target = "jarapp.Counter", method = "next")
    public static int next(Counter self) {
        return make().n;
    }
}
