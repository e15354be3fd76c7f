package latelockapp;

/** The target of LateCallbackLockDriver's second patch, whose prePatch waits for the first caller of Late. */
public class Other {

    public String get() {
        return "original";
    }
}
