package bench.startup;

/**
 * The application whose start-up {@code io.jlivepatch.bench.StartupCost} times, in a JVM of its own,
 * with and without the jlivepatch agent. It prints {@code main} first thing in {@code main} (the
 * launcher's clock stops there), then calls its ten methods and prints how many of them ran a patch's
 * replacement ({@code patched=<n>}): 10 with the ten start-up patch JARs, 0 otherwise.
 *
 * <p>It uses nothing of jlivepatch and no string concatenation ({@code invokedynamic}) before the
 * first line, so that its own start-up is as small as an application's can be.
 */
public final class StartupApp {

    private StartupApp() {
    }

    public static void main(String[] args) {
        System.out.println("main");
        String[] results = {greet0("x"), greet1("x"), greet2("x"), greet3("x"), greet4("x"),
                greet5("x"), greet6("x"), greet7("x"), greet8("x"), greet9("x")};
        int patched = 0;
        for (String r : results) {
            if (r.startsWith("fixed ")) {
                patched++;
            }
        }
        System.out.println("patched=".concat(Integer.toString(patched)));
    }

    public static String greet0(String s) {
        return "hello ".concat(s);
    }

    public static String greet1(String s) {
        return "hello ".concat(s);
    }

    public static String greet2(String s) {
        return "hello ".concat(s);
    }

    public static String greet3(String s) {
        return "hello ".concat(s);
    }

    public static String greet4(String s) {
        return "hello ".concat(s);
    }

    public static String greet5(String s) {
        return "hello ".concat(s);
    }

    public static String greet6(String s) {
        return "hello ".concat(s);
    }

    public static String greet7(String s) {
        return "hello ".concat(s);
    }

    public static String greet8(String s) {
        return "hello ".concat(s);
    }

    public static String greet9(String s) {
        return "hello ".concat(s);
    }
}
