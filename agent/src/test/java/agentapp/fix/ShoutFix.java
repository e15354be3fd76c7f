package agentapp.fix;

import io.jlivepatch.Replaces;

/** A second patch on another method, for stack-order tests. */
public final class ShoutFix {

    private ShoutFix() {
    }

    @Replaces(target = "agentapp.Greeter", method = "shout", descriptor = "(Ljava/lang/String;)Ljava/lang/String;")
    public static String shout(String s) {
        return s + "!!!";
    }
}
