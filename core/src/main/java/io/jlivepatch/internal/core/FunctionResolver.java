package io.jlivepatch.internal.core;

import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.patch.LoaderNames;
import io.jlivepatch.internal.patch.MethodSpec;
import io.jlivepatch.internal.patch.Reflection;
import io.jlivepatch.internal.patch.ReplacementSource;
import io.jlivepatch.internal.patch.SignatureCheck;
import org.objectweb.asm.Type;

import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Resolves a patch's functions against the running JVM (the kernel's {@code klp_init_patch}):
 * every loaded class of a target's name must declare the method, be hookable, and fit the
 * replacement. A target class not loaded yet is checked by name and descriptor only; the rest is
 * checked when a class loader defines it.
 */
final class FunctionResolver {

    private final Instrumentation inst;

    FunctionResolver(Instrumentation inst) {
        this.inst = inst;
    }

    ResolvedFunction resolve(String patchName, Patch.Replacement r, ReplacementSource source,
                             Map<String, List<Class<?>>> loaded) throws PatchException {
        String target = r.target();
        if (r.methodName().equals("<init>") || r.methodName().equals("<clinit>")) {
            throw refuse(Reason.NOT_PATCHABLE, patchName, target, "constructors and class initializers cannot"
                    + " be hooked; patch a method they call instead");
        }
        String misplaced = SignatureCheck.problem(r.replacement(), source.nextParameters());
        if (misplaced != null) {
            throw refuse(Reason.INVALID_PATCH, patchName, target, "the replacement "
                    + r.replacement().getDeclaringClass().getName() + "." + r.replacement().getName() + ": " + misplaced);
        }
        String byName = Patchability.refusalByName(r.className());
        if (byName != null) {
            throw refuse(Reason.NOT_PATCHABLE, patchName, target, byName);
        }
        List<Class<?>> classes = loaded.getOrDefault(r.className(), List.of());
        Boolean isStatic = null;
        for (Class<?> c : classes) {
            boolean s = checkLoaded(patchName, r, source, c, handleFor(patchName, r, source, c));
            if (isStatic != null && isStatic != s) {
                throw refuse(Reason.SIGNATURE_MISMATCH, patchName, target, "the method is static in one class"
                        + " loader and an instance method in another; patch them with separate patches");
            }
            isStatic = s;
        }
        if (isStatic == null) {
            isStatic = inferStatic(patchName, r, SignatureCheck.declared(r.replacement(), source.nextParameters()));
        }
        return new ResolvedFunction(r, new MethodSpec(r.methodName(), r.descriptor(), isStatic), source);
    }

    /** Checks one loaded class; returns whether the target is static. */
    boolean checkLoaded(String patchName, Patch.Replacement r, ReplacementSource source, Class<?> c,
                        MethodHandle handle) throws PatchException {
        boolean next = SignatureCheck.declared(r.replacement(), source.nextParameters());
        String target = r.target();
        String where = " (class loader " + LoaderNames.of(c.getClassLoader()) + ")";
        String refusal = Patchability.refusal(inst, c);
        if (refusal != null) {
            throw refuse(Reason.NOT_PATCHABLE, patchName, target, refusal + where);
        }
        Method m = Reflection.findDeclared(c, r.methodName(), r.descriptor());
        if (m == null) {
            throw refuse(Reason.TARGET_NOT_FOUND, patchName, target, c.getName() + where
                    + " does not declare this method; " + overloads(c, r.methodName()));
        }
        if (Modifier.isAbstract(m.getModifiers())) {
            throw refuse(Reason.NOT_PATCHABLE, patchName, target, "the method is abstract and has no code to hook;"
                    + " patch its implementations instead");
        }
        if (Modifier.isNative(m.getModifiers())) {
            throw refuse(Reason.NOT_PATCHABLE, patchName, target, "the method is native and has no bytecode to hook");
        }
        String misfit = SignatureCheck.misfit(c, m, handle.type(), next);
        if (misfit != null) {
            throw refuse(Reason.SIGNATURE_MISMATCH, patchName, target, misfit + where);
        }
        String unreachable = next ? SignatureCheck.unreachableOriginal(c) : null;
        if (unreachable != null) {
            throw refuse(Reason.NOT_PATCHABLE, patchName, target, unreachable + where);
        }
        return Modifier.isStatic(m.getModifiers());
    }

    /**
     * Checks the patch's held methods against the loaded classes of their names: each must declare
     * the method, with code (an abstract method is never on a stack). A class not loaded yet holds
     * nothing until it is, and is not an error, as for a replaced method.
     */
    void checkHolds(Patch patch, Map<String, List<Class<?>>> loaded) throws PatchException {
        for (Patch.Hold h : patch.holds()) {
            String target = "held method " + h.target();
            if (h.className().startsWith("io.jlivepatch.")) {
                throw refuse(Reason.NOT_PATCHABLE, patch.name(), target, "jlivepatch's own methods are not counted by"
                        + " the stack check; hold the application's method that calls it");
            }
            for (Class<?> c : loaded.getOrDefault(h.className(), List.of())) {
                String where = " (class loader " + LoaderNames.of(c.getClassLoader()) + ")";
                Method m = Reflection.findDeclared(c, h.methodName(), h.descriptor());
                if (m == null) {
                    throw refuse(Reason.TARGET_NOT_FOUND, patch.name(), target, c.getName() + where
                            + " does not declare this method; " + overloads(c, h.methodName()));
                }
                if (Modifier.isAbstract(m.getModifiers())) {
                    throw refuse(Reason.NOT_PATCHABLE, patch.name(), target, "the method is abstract and so never on"
                            + " a stack; hold its implementations instead");
                }
            }
        }
    }

    private static String overloads(Class<?> c, String name) {
        String found = Arrays.stream(c.getDeclaredMethods()).filter(d -> d.getName().equals(name))
                .map(Type::getMethodDescriptor).sorted().reduce((a, b) -> a + ", " + b).orElse(null);
        return found == null ? "check the name, or name the class that declares it"
                : "its methods of that name have the descriptors " + found;
    }

    /** For a class not loaded yet: static when the replacement has exactly the target's parameters. */
    private static boolean inferStatic(String patchName, Patch.Replacement r, boolean next) throws PatchException {
        Type[] targetArgs = Type.getArgumentTypes(r.descriptor());
        Type targetReturn = Type.getReturnType(r.descriptor());
        Method m = r.replacement();
        Class<?>[] params = m.getParameterTypes();
        if (next) {
            params = Arrays.copyOf(params, params.length - 1); // not one of the target's
        }
        if (!Type.getType(m.getReturnType()).equals(targetReturn)) {
            throw refuse(Reason.SIGNATURE_MISMATCH, patchName, r.target(), "the target returns "
                    + targetReturn.getClassName() + " but the replacement returns " + m.getReturnType().getName());
        }
        if (matches(params, 0, targetArgs)) {
            return true;
        }
        if (params.length == targetArgs.length + 1 && !params[0].isPrimitive() && !params[0].isArray()
                && matches(params, 1, targetArgs)) {
            return false;
        }
        throw refuse(Reason.SIGNATURE_MISMATCH, patchName, r.target(), "the replacement's parameters "
                + Arrays.toString(Arrays.stream(params).map(Class::getName).toArray())
                + " are neither the target's parameters (static method) nor a receiver followed by them"
                + " (instance method)");
    }

    private static boolean matches(Class<?>[] params, int offset, Type[] targetArgs) {
        if (params.length - offset != targetArgs.length) {
            return false;
        }
        for (int i = 0; i < targetArgs.length; i++) {
            if (!Type.getType(params[i + offset]).equals(targetArgs[i])) {
                return false;
            }
        }
        return true;
    }

    static MethodHandle handleFor(String patchName, Patch.Replacement r, ReplacementSource source,
                                          Class<?> target) throws PatchException {
        try {
            return source.handleFor(target.getClassLoader());
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            throw refuse(Reason.INVALID_PATCH, patchName, r.target(), "the replacement cannot be linked against"
                    + " class loader " + LoaderNames.of(target.getClassLoader()) + ": " + e);
        }
    }

    /** The direct handle of a replacement given as a {@code Method}, the same for every loader. */
    static MethodHandle handleOf(String patchName, Patch.Replacement r) throws PatchException {
        Method m = r.replacement();
        try {
            return MethodHandles.publicLookup().unreflect(m);
        } catch (IllegalAccessException notPublic) {
            // a public method of a class that is not public itself, typically a nested class
        }
        try {
            m.setAccessible(true);
            return MethodHandles.lookup().unreflect(m);
        } catch (RuntimeException | IllegalAccessException e) {
            throw refuse(Reason.INVALID_PATCH, patchName, r.target(), "the replacement "
                    + m.getDeclaringClass().getName() + "." + m.getName() + " is not accessible to jlivepatch ("
                    + e.getMessage() + "): " + toAccess(m.getDeclaringClass()));
        }
    }

    /**
     * What keeps jlivepatch from calling a public static method of {@code c}, and what gives it access:
     * {@code publicLookup} needs the class public and its package exported to all; {@code setAccessible}
     * needs the package open to jlivepatch's module, which every unnamed module's is (so there, only a
     * class that is not public can be at fault, under a security manager).
     */
    private static String toAccess(Class<?> c) {
        Module module = c.getModule();
        if (!module.isNamed()) {
            return "make its class public";
        }
        Module self = FunctionResolver.class.getModule();
        String us = self.isNamed() ? "module " + self.getName() : "the unnamed module";
        String pkg = c.getPackageName();
        String opens = "'opens " + pkg + (self.isNamed() ? " to " + self.getName() : "") + ";'";
        String addOpens = "--add-opens " + module.getName() + "/" + pkg + "=" + (self.isNamed() ? self.getName()
                : "ALL-UNNAMED") + " when the JVM starts";
        boolean publicClass = Modifier.isPublic(c.getModifiers());
        if (!module.isExported(pkg)) {
            return "module " + module.getName() + " does not export package " + pkg + ", nor open it to jlivepatch ("
                    + us + ")" + (publicClass ? "" : ", and class " + c.getName() + " is not public") + ": export it"
                    + (publicClass ? "" : " and make the class public") + " ('exports " + pkg + ";' in the module's"
                    + " module-info), or open it (" + opens + ", or " + addOpens + ")";
        }
        if (!publicClass) {
            return "class " + c.getName() + " is not public, and module " + module.getName() + " does not open package "
                    + pkg + " to jlivepatch (" + us + "): make the class public, or open the package (" + opens
                    + " in the module's module-info, or " + addOpens + ")";
        }
        return "open package " + pkg + " of module " + module.getName() + " to jlivepatch (" + us + "): " + opens
                + " in the module's module-info, or " + addOpens;
    }

    static PatchException refuse(Reason reason, String patchName, String target, String why) {
        return new PatchException(reason, patchName, "patch '" + patchName + "': " + target + ": " + why);
    }
}
