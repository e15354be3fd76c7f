package faultapp;

/** The target of HotSwapTest: redefined from outside while patched. */
public class HotSwapped {
    public String value() {
        return "v1";
    }

    public String other() {
        return "o1";
    }
}
