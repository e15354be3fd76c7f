package watchapp.fix;

import io.jlivepatch.Replaces;

/** A patch of the watched directory's tests: greet says which patch runs. */
public final class GreetingA {

    private GreetingA() {
    }

    @Replaces(target = "watchapp.Greeting", method = "greet")
    public static String greet(String who) {
        return "A " + who;
    }
}
