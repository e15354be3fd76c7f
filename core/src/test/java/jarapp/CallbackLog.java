package jarapp;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where the callbacks of the patch JAR tests write: a class of the application (never in a JAR), so
 * that the patch classes of every JAR and the test see one copy.
 */
public final class CallbackLog {

    public static final List<String> EVENTS = Collections.synchronizedList(new ArrayList<>());
    /** When set, the JAR's prePatch throws. */
    public static volatile boolean failPrePatch;

    private CallbackLog() {
    }
}
