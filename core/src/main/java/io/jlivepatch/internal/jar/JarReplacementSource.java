package io.jlivepatch.internal.jar;

import io.jlivepatch.internal.patch.Reflection;
import io.jlivepatch.internal.patch.ReplacementSource;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;

/** One replacement of a patch JAR, taken from the copy of the patch class for the target's loader. */
final class JarReplacementSource implements ReplacementSource {

    private final PatchClasses classes;
    /** The class whose method this replaces (or whose callback this is). */
    private final String target;
    private final String patchClassName;
    private final String method;
    private final String descriptor;
    private final int[] nextParameters;

    /** @param nextParameters the method's {@code @Next} parameters, from its class file (ReplacesScanner) */
    JarReplacementSource(PatchClasses classes, String target, String patchClassName, String method, String descriptor,
                         int[] nextParameters) {
        this.classes = classes;
        this.target = target;
        this.patchClassName = patchClassName;
        this.method = method;
        this.descriptor = descriptor;
        this.nextParameters = nextParameters.clone();
    }

    @Override
    public int[] nextParameters() {
        return nextParameters.clone();
    }

    /** The patch's JAR passed a trust policy raised after its load (at its enable): see PatchClasses.checkedLater. */
    void checkedLater() {
        classes.checkedLater();
    }

    @Override
    public java.util.List<ClassLoader> ownLoaders() {
        return classes.ownLoaders();
    }

    @Override
    public java.util.List<Class<?>> ownHiddenClasses() {
        return classes.nestmates();
    }

    @Override
    public void release() {
        classes.release();
    }

    Method method(ClassLoader targetLoader) throws ReflectiveOperationException {
        Class<?> patchClass = classes.classFor(patchClassName, targetLoader);
        Method m = Reflection.findDeclared(patchClass, method, descriptor);
        if (m == null) {
            throw new NoSuchMethodException(patchClass.getName() + "." + method + descriptor);
        }
        return m;
    }

    @Override
    public io.jlivepatch.internal.patch.ClassInit initialization(ClassLoader targetLoader)
            throws ReflectiveOperationException {
        return classes.initializationOf(method(targetLoader).getDeclaringClass(), targetLoader);
    }

    @Override
    public MethodHandle handleFor(ClassLoader targetLoader) throws ReflectiveOperationException {
        classes.checkVersion(target, targetLoader); // a loader defining the class after the load's check
        classes.checkLinks(targetLoader); // likewise: what the replacement uses, as the load checked it
        classes.checkTrust(targetLoader); // likewise: no class carried unchecked that this loader reaches
        Method m = method(targetLoader);
        if (m.getDeclaringClass().isHidden()) {
            // a nestmate of the target: the lookup its definition returned reaches it
            return classes.carrierLookup(m.getDeclaringClass(), targetLoader).unreflect(m);
        }
        if (!java.lang.reflect.Modifier.isPublic(m.getDeclaringClass().getModifiers())) {
            m.setAccessible(true);
        }
        return MethodHandles.lookup().unreflect(m);
    }
}
