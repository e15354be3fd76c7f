package bench.target;

import io.jlivepatch.Next;

import java.lang.invoke.MethodHandle;

/** The replacement of {@link NextCheapRule#scale} that does nothing but run the version below. */
public final class NextCheapRuleFix {

    private NextCheapRuleFix() {
    }

    public static int scale(NextCheapRule self, int x, @Next MethodHandle next) throws Throwable {
        return (int) next.invokeExact(self, x);
    }
}
