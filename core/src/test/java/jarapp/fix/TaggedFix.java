package jarapp.fix;

import io.jlivepatch.Next;
import io.jlivepatch.Replaces;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.invoke.MethodHandle;

/**
 * A replacement whose parameter carries an annotation with an enum member: reading the annotation
 * by reflection would initialize the enum, running the JAR's code before any enable.
 */
public final class TaggedFix {

    /** Set by {@link Color}'s initializer. */
    public static final String INITIALIZED = "jlivepatch.test.taggedfix.color";

    private TaggedFix() {
    }

    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.PARAMETER)
    public @interface Tag {
        Color value();
    }

    public enum Color {
        RED;

        static {
            System.setProperty(INITIALIZED, "by " + Thread.currentThread().getName());
        }
    }

    @Replaces(target = "jarapp.Counter", method = "label", descriptor = "(I)Ljava/lang/String;")
    public static String label(@Tag(Color.RED) int n, @Next MethodHandle next) throws Throwable {
        return "tagged " + (String) next.invoke(n);
    }
}
