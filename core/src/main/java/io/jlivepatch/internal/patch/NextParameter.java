package io.jlivepatch.internal.patch;

import java.lang.annotation.Annotation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;

/**
 * The {@code @io.jlivepatch.Next} parameter of a replacement: where it may be and what it means for
 * the replacement's type. The annotation is matched by name, not by class: a patch JAR's class may
 * see another copy of the annotation type than jlivepatch's (its loader's), and it means the same.
 */
public final class NextParameter {

    public static final String ANNOTATION = "io.jlivepatch.Next";
    /** The annotation as a class file names it. */
    public static final String DESCRIPTOR = "Lio/jlivepatch/Next;";

    private NextParameter() {
    }

    /**
     * Why the {@code @Next} of {@code replacement} is misplaced or mistyped, or {@code null} when it
     * has none or one that is right: on the last parameter, typed exactly {@code MethodHandle}.
     */
    public static String problem(Method replacement) {
        Annotation[][] annotations = replacement.getParameterAnnotations();
        Class<?>[] types = replacement.getParameterTypes();
        for (int i = 0; i < annotations.length; i++) {
            if (!annotated(annotations[i])) {
                continue;
            }
            if (i != types.length - 1) {
                return "@Next is on parameter " + (i + 1) + " of " + types.length + ": it must be on the last"
                        + " parameter, after the receiver and the target's parameters";
            }
            if (types[i] != MethodHandle.class) {
                return "the @Next parameter is a " + types[i].getName() + ": declare it as"
                        + " java.lang.invoke.MethodHandle";
            }
        }
        return null;
    }

    /** Whether {@code replacement} declares a well-placed {@code @Next} parameter (see {@link #problem}). */
    public static boolean declared(Method replacement) {
        Annotation[][] annotations = replacement.getParameterAnnotations();
        int last = annotations.length - 1;
        return last >= 0 && annotated(annotations[last]) && replacement.getParameterTypes()[last] == MethodHandle.class;
    }

    /** The replacement's type as the target sees it: without the {@code @Next} parameter. */
    public static MethodType withoutNext(MethodType replacement, boolean next) {
        return next ? replacement.dropParameterTypes(replacement.parameterCount() - 1, replacement.parameterCount())
                : replacement;
    }

    /**
     * Why {@code @Next} cannot reach the original code of a method of {@code owner}, or {@code null}
     * when it can: the original is called through a private lookup on the class (see
     * ReplacementLinker's Chain), which its module must open to jlivepatch. Every class of the class
     * path does (an unnamed module opens everything); the JDK's own packages do not.
     */
    public static String unreachableOriginal(Class<?> owner) {
        if (owner.getModule().isOpen(owner.getPackageName(), NextParameter.class.getModule())) {
            return null;
        }
        return "@Next cannot call the original code of " + owner.getName() + ": " + owner.getModule()
                + " does not open " + owner.getPackageName() + " to jlivepatch; start the JVM with --add-opens "
                + owner.getModule().getName() + "/" + owner.getPackageName() + "=ALL-UNNAMED, or drop the @Next"
                + " parameter and replace the whole method";
    }

    private static boolean annotated(Annotation[] annotations) {
        for (Annotation a : annotations) {
            if (a.annotationType().getName().equals(ANNOTATION)) {
                return true;
            }
        }
        return false;
    }
}
