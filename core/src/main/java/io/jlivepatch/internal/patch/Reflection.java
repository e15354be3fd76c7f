package io.jlivepatch.internal.patch;

import java.lang.reflect.Method;

/** Finding a declared method by name and JVM descriptor. */
public final class Reflection {

    private Reflection() {
    }

    /** The method {@code owner} itself declares with that name and descriptor, or {@code null}. */
    public static Method findDeclared(Class<?> owner, String name, String descriptor) {
        return findDeclared(owner.getDeclaredMethods(), name, descriptor);
    }

    /** The method of {@code declared} (a class's declared methods) with that name and descriptor, or {@code null}. */
    static Method findDeclared(Method[] declared, String name, String descriptor) {
        for (Method m : declared) {
            if (m.getName().equals(name) && hasDescriptor(m, descriptor)) {
                return m;
            }
        }
        return null;
    }

    /**
     * Whether {@code descriptor} is {@code m}'s JVM descriptor, as ASM's {@code Type.getMethodDescriptor}
     * writes it, compared in place: a change of 1000 methods links each of them twice, and building each
     * candidate's descriptor was most of the look-up (BENCHMARKS.md section 2, session 23).
     */
    static boolean hasDescriptor(Method m, String descriptor) {
        if (descriptor.isEmpty() || descriptor.charAt(0) != '(') {
            return false;
        }
        int at = 1;
        for (Class<?> p : m.getParameterTypes()) {
            at = skip(p, descriptor, at);
            if (at < 0) {
                return false;
            }
        }
        if (at >= descriptor.length() || descriptor.charAt(at) != ')') {
            return false;
        }
        return skip(m.getReturnType(), descriptor, at + 1) == descriptor.length();
    }

    /** The index in {@code d} right after type {@code c}'s descriptor starting at {@code at}, or -1 when it is not there. */
    private static int skip(Class<?> c, String d, int at) {
        int dims = 0;
        while (c.isArray()) {
            dims++;
            c = c.getComponentType();
        }
        for (int i = 0; i < dims; i++, at++) {
            if (at >= d.length() || d.charAt(at) != '[') {
                return -1;
            }
        }
        if (at >= d.length()) {
            return -1;
        }
        if (c.isPrimitive()) {
            // A primitive's descriptor is the JDK's constant one-letter string: nothing is made here.
            return d.charAt(at) == c.descriptorString().charAt(0) ? at + 1 : -1;
        }
        // L<binary name with / for .>; as Type.getDescriptor: a hidden class's own / stays a /
        String n = c.getName();
        int end = at + 1 + n.length();
        if (d.charAt(at) != 'L' || end >= d.length() || d.charAt(end) != ';') {
            return -1;
        }
        for (int i = 0; i < n.length(); i++) {
            char x = n.charAt(i);
            if (d.charAt(at + 1 + i) != (x == '.' ? '/' : x)) {
                return -1;
            }
        }
        return end + 1;
    }
}
