package io.jlivepatch.internal.patch;

import java.lang.annotation.Annotation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Whether a replacement's type fits a loaded target method. */
public final class SignatureCheck {

    private SignatureCheck() {
    }

    /**
     * Why {@code replacement} cannot stand in for {@code target} of {@code owner}, or {@code null}
     * when it fits: for an instance method the receiver (the owner or a supertype) and then the
     * target's parameters, for a static method the target's parameters; the same return type.
     */
    public static String misfit(Class<?> owner, Method target, MethodType replacement) {
        // A replacement with a @Next parameter was checked for it at registration (FunctionResolver),
        // with the annotation at hand; here only its type is: one more, last MethodHandle is @Next.
        int needed = target.getParameterCount() + (Modifier.isStatic(target.getModifiers()) ? 0 : 1);
        boolean next = replacement.parameterCount() == needed + 1
                && replacement.parameterType(needed) == java.lang.invoke.MethodHandle.class;
        return misfit(owner, target, replacement, next);
    }

    /**
     * The same for a replacement whose last parameter is {@code @Next} ({@code next}) or that has
     * none: the {@code @Next} parameter is not one of the target's.
     */
    public static String misfit(Class<?> owner, Method target, MethodType replacement, boolean next) {
        replacement = SignatureCheck.withoutNext(replacement, next);
        Class<?>[] params = target.getParameterTypes();
        boolean isStatic = Modifier.isStatic(target.getModifiers());
        int offset = isStatic ? 0 : 1;
        if (replacement.parameterCount() != params.length + offset) {
            if (!next && replacement.parameterCount() == params.length + offset + 1
                    && replacement.parameterType(params.length + offset) == java.lang.invoke.MethodHandle.class) {
                return "the replacement has one parameter more than the target, a MethodHandle: to call the"
                        + " version below, annotate it @io.jlivepatch.Next";
            }
            if (!isStatic && replacement.parameterCount() == params.length) {
                return "the target is an instance method, so the replacement needs the receiver ("
                        + owner.getName() + " or a supertype) as its first parameter";
            }
            if (isStatic && replacement.parameterCount() == params.length + 1) {
                return "the target is static, so the replacement must not take a receiver parameter";
            }
            return "the replacement takes " + replacement.parameterCount() + " parameters where "
                    + (params.length + offset) + " are needed (" + expected(owner, target) + ")";
        }
        if (!isStatic && !replacement.parameterType(0).isAssignableFrom(owner)) {
            Class<?> receiver = replacement.parameterType(0);
            if (receiver.getName().equals(owner.getName())) {
                return "the receiver parameter is " + receiver.getName() + sameNameHint(owner, receiver);
            }
            return "the receiver parameter is " + receiver.getName() + ", which "
                    + owner.getName() + " is not (in loader " + LoaderNames.of(owner.getClassLoader())
                    + "): type it as " + owner.getName() + " or one of its supertypes";
        }
        for (int i = 0; i < params.length; i++) {
            if (replacement.parameterType(i + offset) != params[i]) {
                return "parameter " + (i + 1) + " of the target is " + params[i].getName()
                        + " but the replacement has " + replacement.parameterType(i + offset).getName()
                        + sameNameHint(params[i], replacement.parameterType(i + offset))
                        + " (expected " + expected(owner, target) + ")";
            }
        }
        if (replacement.returnType() != target.getReturnType()) {
            return "the target returns " + target.getReturnType().getName() + " but the replacement returns "
                    + replacement.returnType().getName() + sameNameHint(target.getReturnType(), replacement.returnType());
        }
        return null;
    }

    /**
     * For a type the replacement names like the target's but that is another class: where each comes
     * from, and the usual cause, a patch JAR carrying its own copy of the application's class (its
     * loader looks in the JAR first, so the copy hides the application's).
     */
    private static String sameNameHint(Class<?> targets, Class<?> replacements) {
        if (!targets.getName().equals(replacements.getName())) {
            return "";
        }
        return " of class loader " + LoaderNames.of(replacements.getClassLoader()) + ", another class than the"
                + " target's (class loader " + LoaderNames.of(targets.getClassLoader()) + "): a patch JAR must not"
                + " carry its own copy of the application's classes, which hides them from the patch; remove "
                + targets.getName().replace('.', '/') + ".class from the JAR";
    }

    private static String expected(Class<?> owner, Method target) {
        String params = Arrays.stream(target.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(", "));
        if (!Modifier.isStatic(target.getModifiers())) {
            params = owner.getSimpleName() + (params.isEmpty() ? "" : ", " + params);
        }
        return "public static " + target.getReturnType().getSimpleName() + " " + target.getName() + "(" + params + ")";
    }


    // ---- the @io.jlivepatch.Next parameter of a replacement: where it may be and what it means for
    // the replacement's type. The annotation is matched by name, not by class: a patch JAR's class may
    // see another copy of the annotation type than jlivepatch's (its loader's), and it means the same.
    // (Here rather than in a class of its own: every registration checks it, and a first load into
    // an application defines as few of jlivepatch's classes as it can; FootprintIT.)

    public static final String ANNOTATION = "io.jlivepatch.Next";
    /** The annotation as a class file names it. */
    public static final String DESCRIPTOR = "Lio/jlivepatch/Next;";


    /**
     * Why the {@code @Next} of {@code replacement} is misplaced or mistyped, or {@code null} when it
     * has none or one that is right: on the last parameter, typed exactly {@code MethodHandle}.
     *
     * @param nextParameters the indices of the parameters annotated {@code @Next} as the replacement's
     *                       class file declares them ({@link ReplacementSource#nextParameters()}), or
     *                       {@code null} to ask reflection (see {@link #nextParameters(Method, int[])})
     */
    public static String problem(Method replacement, int[] nextParameters) {
        Class<?>[] types = replacement.getParameterTypes();
        for (int i : nextParameters(replacement, nextParameters)) {
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

    /**
     * Whether {@code replacement} declares a well-placed {@code @Next} parameter (see {@link #problem};
     * {@code nextParameters} as there).
     */
    public static boolean declared(Method replacement, int[] nextParameters) {
        int last = replacement.getParameterCount() - 1;
        int[] annotated = nextParameters(replacement, nextParameters);
        return last >= 0 && annotated.length > 0 && annotated[annotated.length - 1] == last
                && replacement.getParameterTypes()[last] == MethodHandle.class;
    }

    /**
     * The indices of {@code replacement}'s parameters annotated {@code @Next}: {@code fromClassFile}
     * when given, else by reflection. Reflection parses every annotation of every parameter, and an
     * enum-typed member initializes its enum class, which runs that class's static initializer: a
     * patch JAR's code, which must not run before the patch is enabled (a loop there would hang the
     * registry's lock, or premain). So a patch JAR's replacements answer from their class files
     * (ReplacesScanner), and only a {@code Method} an application registers itself, whose classes
     * are its own, is asked by reflection.
     */
    static int[] nextParameters(Method replacement, int[] fromClassFile) {
        if (fromClassFile != null) {
            return fromClassFile;
        }
        Annotation[][] annotations = replacement.getParameterAnnotations();
        int n = 0;
        int[] found = new int[annotations.length];
        for (int i = 0; i < annotations.length; i++) {
            if (annotated(annotations[i])) {
                found[n++] = i;
            }
        }
        return java.util.Arrays.copyOf(found, n);
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
        if (owner.getModule().isOpen(owner.getPackageName(), SignatureCheck.class.getModule())) {
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
