package shadowctorapp;

/** A target of ShadowCtorLockDriver, whose patch has the callback. */
public class Target {

    public String get() {
        return "original";
    }
}
