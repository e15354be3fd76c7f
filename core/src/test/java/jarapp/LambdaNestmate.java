package jarapp;

import io.jlivepatch.Replaces;

import java.util.function.IntSupplier;

/**
 * A {@code Livepatch-Nestmates} patch class with a lambda whose body is its own method: before JDK
 * 23 the JDK cannot make that lambda for a hidden class (JDK-8330467), so such a patch is refused at
 * load there (HiddenNestmateTest); from 23 on it runs.
 */
public final class LambdaNestmate {

    @Replaces(target = "jarapp.Counter", method = "next")
    public static int next(Counter self) {
        IntSupplier answer = () -> 41;
        return answer.getAsInt();
    }
}
