package io.jlivepatch.internal.patch;

import org.objectweb.asm.Type;

import java.lang.reflect.Method;

/** Finding a declared method by name and JVM descriptor. */
public final class Reflection {

    private Reflection() {
    }

    /** The method {@code owner} itself declares with that name and descriptor, or {@code null}. */
    public static Method findDeclared(Class<?> owner, String name, String descriptor) {
        for (Method m : owner.getDeclaredMethods()) {
            if (m.getName().equals(name) && Type.getMethodDescriptor(m).equals(descriptor)) {
                return m;
            }
        }
        return null;
    }
}
