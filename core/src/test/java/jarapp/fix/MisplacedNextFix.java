package jarapp.fix;

import io.jlivepatch.Next;
import io.jlivepatch.Replaces;

import java.lang.invoke.MethodHandle;

/** @Next on the first parameter, not the last: refused at registration. */
public final class MisplacedNextFix {

    private MisplacedNextFix() {
    }

    @Replaces(target = "jarapp.Counter", method = "label", descriptor = "(I)Ljava/lang/String;")
    public static String label(@Next MethodHandle next, int n) throws Throwable {
        return "misplaced " + (String) next.invoke(n);
    }
}
