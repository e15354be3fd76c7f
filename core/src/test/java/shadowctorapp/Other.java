package shadowctorapp;

/** The target of ShadowCtorLockDriver's other patch, the one a shadow variable's ctor asks to enable. */
public class Other {

    public String get() {
        return "original";
    }
}
