package nextapp.fix;

import io.jlivepatch.Next;
import io.jlivepatch.Replaces;
import nextapp.Shop;

import java.lang.invoke.MethodHandle;

/** The Livepatch-Class of NextTest's patch JAR: replacements that call the version below. */
public final class ShopFix {

    private ShopFix() {
    }

    @Replaces(target = "nextapp.Shop", method = "jar")
    public static String jar(Shop self, String s, @Next MethodHandle next) throws Throwable {
        return "<" + (String) next.invokeExact(self, s.trim()) + ">";
    }

    /** Its target is not loaded when the JAR is: the descriptor is inferred without the @Next parameter. */
    @Replaces(target = "nextapp.LateStatics", method = "shout")
    public static String shout(String s, @Next MethodHandle next) throws Throwable {
        return (String) next.invokeExact(s) + "!";
    }
}
