package io.jlivepatch.internal.patch;

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
        replacement = NextParameter.withoutNext(replacement, next);
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
            return "the receiver parameter is " + replacement.parameterType(0).getName() + ", which "
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

    private static String sameNameHint(Class<?> a, Class<?> b) {
        return a.getName().equals(b.getName()) ? " from another class loader" : "";
    }

    private static String expected(Class<?> owner, Method target) {
        String params = Arrays.stream(target.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(", "));
        if (!Modifier.isStatic(target.getModifiers())) {
            params = owner.getSimpleName() + (params.isEmpty() ? "" : ", " + params);
        }
        return "public static " + target.getReturnType().getSimpleName() + " " + target.getName() + "(" + params + ")";
    }
}
