package testapp.guard;

/** A class no patch names: GuardSwitchTest defines copies of it in loaders of their own. */
public class Plain {
    public int value(int x) {
        return x;
    }
}
