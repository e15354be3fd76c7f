package watchapp.fix;

import io.jlivepatch.Replaces;

/** A patch of the watched directory's tests that cannot register: Greeting has no method farewell. */
public final class GreetingNoSuchMethod {

    private GreetingNoSuchMethod() {
    }

    @Replaces(target = "watchapp.Greeting", method = "farewell")
    public static String farewell(String who) {
        return "bye " + who;
    }
}
