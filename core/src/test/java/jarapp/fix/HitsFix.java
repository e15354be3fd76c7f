package jarapp.fix;

import io.jlivepatch.Replaces;
import io.jlivepatch.Shadow;
import jarapp.Counter;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A patch JAR's class that keeps a shadow variable of its own class ({@link Hits}) and one of a JDK
 * class on each counter: ShadowOfPatchClassesTest.
 */
public final class HitsFix {

    /** The variable whose value is of this JAR's own class. */
    public static final long HITS = 0x6a6c_7e57_0000_0001L;
    /** The variable whose value is a JDK object. */
    public static final long TOTAL = 0x6a6c_7e57_0000_0002L;

    private HitsFix() {
    }

    /** This patch's own record of a counter's calls. */
    public static final class Hits {
        int n;
    }

    @Replaces(target = "jarapp.Counter", method = "next")
    public static int next(Counter self) {
        Shadow.getOrAttach(self, TOTAL, AtomicInteger.class, AtomicInteger::new).incrementAndGet();
        Hits hits = Shadow.getOrAttach(self, HITS, Hits.class, Hits::new);
        return 1000 + ++hits.n;
    }
}
