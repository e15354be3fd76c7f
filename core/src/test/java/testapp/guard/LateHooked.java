package testapp.guard;

/** Patched by GuardSwitchTest only, which also defines a copy of it in a loader of its own. */
public class LateHooked {
    public int value(int x) {
        return x + 1;
    }
}
