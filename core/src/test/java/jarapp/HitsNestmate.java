package jarapp;

import io.jlivepatch.Replaces;
import io.jlivepatch.Shadow;

import java.util.function.Supplier;

/**
 * A {@code Livepatch-Nestmates} patch class (a hidden nestmate of {@link Counter}, in Counter's own
 * class loader) that keeps an object of its own class as a shadow variable: ShadowOfPatchClassesTest.
 * Its own supplier, and its name in no descriptor: a lambda or constructor reference would make the
 * JDK spin a class that names this hidden class, and a descriptor naming it is checked against a
 * class of that name, which no loader has (only the class constant this_class means the hidden class).
 */
public final class HitsNestmate implements Supplier<Object> {

    /** The variable whose value is of this (hidden) class. */
    public static final long HITS = 0x6a6c_7e57_0000_0003L;

    private int n;

    @Override
    public Object get() {
        return this;
    }

    @Replaces(target = "jarapp.Counter", method = "next")
    public static int next(Counter self) {
        HitsNestmate hits = (HitsNestmate) Shadow.getOrAttach(self, HITS, new HitsNestmate());
        return 2000 + ++hits.n;
    }
}
