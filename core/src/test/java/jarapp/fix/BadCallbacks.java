package jarapp.fix;

import io.jlivepatch.PostPatch;
import io.jlivepatch.PrePatch;
import io.jlivepatch.PreUnpatch;
import io.jlivepatch.Replaces;
import jarapp.Counter;

/**
 * Livepatch-Classes whose callback annotations a load refuses, one way each: every nested class
 * also replaces jarapp.Counter.next, so the callbacks are the only thing wrong with them.
 */
public final class BadCallbacks {

    private BadCallbacks() {
    }

    /** A callback that does not take the target class. */
    public static final class WrongParameter {
        @Replaces(target = "jarapp.Counter", method = "next")
        public static int next(Counter self) {
            return -1;
        }

        @PrePatch("jarapp.Counter")
        public static void prepare(String target) {
        }
    }

    /** A callback that is not static. */
    public static final class NotStatic {
        @Replaces(target = "jarapp.Counter", method = "next")
        public static int next(Counter self) {
            return -1;
        }

        @PostPatch("jarapp.Counter")
        public void patched(Class<?> target) {
        }
    }

    /** A callback for a class the JAR replaces no method of. */
    public static final class UnknownClass {
        @Replaces(target = "jarapp.Counter", method = "next")
        public static int next(Counter self) {
            return -1;
        }

        @PreUnpatch("jarapp.Nowhere")
        public static void unpatching(Class<?> target) {
        }
    }

    /** Two prePatch callbacks for one class. */
    public static final class Twice {
        @Replaces(target = "jarapp.Counter", method = "next")
        public static int next(Counter self) {
            return -1;
        }

        @PrePatch("jarapp.Counter")
        public static void one(Class<?> target) {
        }

        @PrePatch("jarapp.Counter")
        public static void two(Class<?> target) {
        }
    }
}
