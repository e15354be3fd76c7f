package agentapp.fix;

import io.jlivepatch.Replaces;

/** A patch whose target class name is misspelt: the class is loaded in no class loader. */
public final class TypoFix {

    private TypoFix() {
    }

    @Replaces(target = "agentapp.Greeterr", method = "greet", descriptor = "(Ljava/lang/String;)Ljava/lang/String;")
    public static String greet(Object self, String name) {
        return "typo " + name;
    }
}
