package io.jlivepatch;

import java.lang.reflect.Method;

/** JVM descriptors without ASM, so that the public model does not depend on it. */
final class Descriptors {

    private Descriptors() {
    }

    static String of(Method m) {
        StringBuilder sb = new StringBuilder("(");
        for (Class<?> p : m.getParameterTypes()) {
            sb.append(of(p));
        }
        return sb.append(')').append(of(m.getReturnType())).toString();
    }

    static String of(Class<?> c) {
        if (c.isPrimitive()) {
            if (c == void.class) return "V";
            if (c == int.class) return "I";
            if (c == long.class) return "J";
            if (c == boolean.class) return "Z";
            if (c == byte.class) return "B";
            if (c == char.class) return "C";
            if (c == short.class) return "S";
            if (c == float.class) return "F";
            return "D";
        }
        if (c.isArray()) {
            return c.getName().replace('.', '/');
        }
        return "L" + c.getName().replace('.', '/') + ";";
    }

    static boolean isMethodDescriptor(String d) {
        if (d.isEmpty() || d.charAt(0) != '(') {
            return false;
        }
        int i = 1;
        while (i < d.length() && d.charAt(i) != ')') {
            i = fieldEnd(d, i);
            if (i < 0) {
                return false;
            }
        }
        if (i >= d.length()) {
            return false;
        }
        i++;
        if (i < d.length() && d.charAt(i) == 'V') {
            return i + 1 == d.length();
        }
        return fieldEnd(d, i) == d.length();
    }

    /** End index of the field type starting at {@code i}, or -1 when there is none. */
    private static int fieldEnd(String d, int i) {
        while (i < d.length() && d.charAt(i) == '[') {
            i++;
        }
        if (i >= d.length()) {
            return -1;
        }
        switch (d.charAt(i)) {
            case 'Z': case 'B': case 'C': case 'S': case 'I': case 'J': case 'F': case 'D':
                return i + 1;
            case 'L': {
                int semi = d.indexOf(';', i);
                return semi > i + 1 ? semi + 1 : -1;
            }
            default:
                return -1;
        }
    }
}
