package copyapp;

import java.io.Serializable;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;

/** Methods whose code would not behave the same in another class: OriginalCopyTest checks each is refused. */
public class Refused {

    public String superCall() {
        return super.toString();
    }

    public Class<?> lookup() {
        return MethodHandles.lookup().lookupClass();
    }

    public Class<?> walker() {
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).getCallerClass();
    }

    @SuppressWarnings("unchecked")
    public Object cloned(ArrayList<String> list) {
        return list.clone();
    }

    public Runnable serializableLambda() {
        return (Runnable & Serializable) () -> { };
    }

    /** A record's toString: invokedynamic with ObjectMethods. */
    public record Point(int x, int y) {
    }

    /** A default method of an interface. */
    public interface Shape {
        default int corners() {
            return 0;
        }
    }

    /** A class whose superclass is in another package (and loader). */
    public static final class Names extends java.util.AbstractList<String> {
        @Override
        public String get(int index) {
            return "n" + index;
        }

        @Override
        public int size() {
            return 1;
        }
    }
}
