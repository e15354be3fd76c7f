package nextapp;

import java.util.function.UnaryOperator;

/**
 * Defined by a class loader of its own in NextTest (as a webapp's or a Spring Boot application's
 * classes are): an unnamed module that is not jlivepatch's, yet {@code @Next} runs a copy of its code.
 */
public class IsolatedCopied implements UnaryOperator<String> {

    private String tag(String s) {
        return "<" + s + ">";
    }

    /** How many frames of {@code apply} of this class the calling thread is in. */
    private static int frames() {
        int n = 0;
        for (StackTraceElement e : new Throwable().getStackTrace()) {
            if (e.getClassName().equals(IsolatedCopied.class.getName()) && e.getMethodName().equals("apply")) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String apply(String s) {
        return tag(s) + "/" + frames() + "/" + getClass().getClassLoader().getName();
    }
}
