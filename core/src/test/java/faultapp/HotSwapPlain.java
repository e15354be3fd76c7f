package faultapp;

/** HotSwapTest's class no patch touches: the JDK's own behaviour. */
public class HotSwapPlain {
    public String value() {
        return "a1";
    }

    public String mark() {
        return "m1";
    }
}
