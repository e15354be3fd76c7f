package watchapp.fix;

import io.jlivepatch.Replaces;

/** A patch of the watched directory's tests: greet says which patch runs. */
public final class GreetingB {

    private GreetingB() {
    }

    @Replaces(target = "watchapp.Greeting", method = "greet")
    public static String greet(String who) {
        return "B " + who;
    }
}
