package nextapp;

/** The targets of NextTest: each test patches its own methods, so that tests do not share stacks. */
public class Shop {

    public String label(String name) {
        return "label:" + name;
    }

    public static int twice(int x) {
        return 2 * x;
    }

    /** Records the versions a call runs through: each patch's replacement adds its name. */
    public String trace(String path) {
        return path + "orig";
    }

    /** The same for the test under load. */
    public String busy(String path) {
        return path + "orig";
    }

    /** Recursive: every level is a call of its own, routed through the hook. */
    public int depth(int n) {
        return n == 0 ? 0 : 1 + depth(n - 1);
    }

    public String plain(String s) {
        return "plain:" + s;
    }

    public String jar(String s) {
        return "jar:" + s;
    }
}
