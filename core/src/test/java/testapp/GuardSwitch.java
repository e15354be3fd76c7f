package testapp;

/** GuardSwitchTest's target: used by no other test, so its hook is that test's alone. */
public class GuardSwitch {

    public int value(int x) {
        return x;
    }

    /** A caller that C2 compiles with the hook inlined (and, in steady state, its guard folded). */
    public int sum(int n) {
        int s = 0;
        for (int i = 0; i < n; i++) {
            s += value(1);
        }
        return s;
    }
}
