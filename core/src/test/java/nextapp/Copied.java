package nextapp;

import java.util.function.Function;

/**
 * Targets whose original code {@code @Next} runs as a copy (NextTest): a private method, a private
 * field, a lambda and string concatenation, all reached from a hidden nestmate; a synchronized
 * method. One that cannot be copied (a super call) keeps the pass through its hook.
 */
public class Copied {

    private int visits;

    private String tag(String s) {
        return "<" + s + ">";
    }

    /** How many frames of {@code method} of this class the calling thread is in. */
    public static int frames(String method) {
        int n = 0;
        for (StackTraceElement e : new Throwable().getStackTrace()) {
            if (e.getClassName().equals(Copied.class.getName()) && e.getMethodName().equals(method)) {
                n++;
            }
        }
        return n;
    }

    public String framed(String s) {
        visits++;
        Function<String, String> f = x -> tag(x) + "/" + frames("framed");
        return f.apply(s) + "/" + visits;
    }

    /** Copied too: the copy holds the receiver's monitor as the method does. */
    public synchronized String locked(String s) {
        return tag(s) + "/" + frames("locked") + "/" + Thread.holdsLock(this);
    }

    /** Not copied: a super call from another class would be no super call. */
    public String superCalled(String s) {
        return tag(s) + "/" + frames("superCalled") + "/" + (super.hashCode() == System.identityHashCode(this));
    }

    /** Redefined by NextTest (its constant "v1" becomes "v2"): the copy follows. */
    public static String version() {
        return "v1";
    }
}
