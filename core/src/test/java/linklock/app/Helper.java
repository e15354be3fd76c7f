package linklock.app;

/** Application code a class loader runs while it loads a class (a name mapping, a log line). */
public class Helper {
    public static String help(String name) {
        return name;
    }
}
