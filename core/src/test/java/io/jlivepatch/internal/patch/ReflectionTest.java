package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.Type;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A method's descriptor compared in place says what ASM's written-out descriptor says. */
class ReflectionTest {

    @SuppressWarnings("unused") // read by reflection: every kind of type a descriptor spells
    static final class Shapes {
        static void none() {
        }

        static int primitives(boolean z, byte b, char c, short s, int i, long j, float f, double d) {
            return 0;
        }

        static long[][] arrays(int[] a, String[][] b, Map.Entry<?, ?>[] inner) {
            return null;
        }

        Shapes nested(Shapes s, List<String> erased) {
            return s;
        }

        String overloaded(String s) {
            return s;
        }

        Object overloaded(Object o) {
            return o;
        }

        String overloaded(String s, int i) {
            return s;
        }
    }

    @Test
    void everyDeclaredMethodOfSeveralClassesMatchesItsOwnDescriptorAndNoOther() {
        for (Class<?> c : List.of(Shapes.class, String.class, java.util.HashMap.class, java.util.Arrays.class,
                Thread.class, java.lang.invoke.MethodHandles.Lookup.class)) {
            Method[] methods = c.getDeclaredMethods();
            for (Method m : methods) {
                String own = Type.getMethodDescriptor(m);
                assertTrue(Reflection.hasDescriptor(m, own), c.getName() + "." + m.getName() + own);
                for (Method other : methods) {
                    String d = Type.getMethodDescriptor(other);
                    assertEquals(d.equals(own), Reflection.hasDescriptor(m, d),
                            m + " against " + d);
                }
            }
        }
    }

    @Test
    void nearMissesAndMalformedDescriptorsDoNotMatch() throws ReflectiveOperationException {
        Method m = Shapes.class.getDeclaredMethod("overloaded", String.class, int.class);
        assertTrue(Reflection.hasDescriptor(m, "(Ljava/lang/String;I)Ljava/lang/String;"));
        for (String d : List.of("", "(", "()", "(Ljava/lang/String;I)", "(Ljava/lang/String;I)Ljava/lang/String",
                "(Ljava/lang/String;I)Ljava/lang/String;;", "(Ljava/lang/String;J)Ljava/lang/String;",
                "(Ljava.lang.String;I)Ljava/lang/String;", "(Ljava/lang/Strin;I)Ljava/lang/String;",
                "(Ljava/lang/StringI)Ljava/lang/String;", "([Ljava/lang/String;I)Ljava/lang/String;",
                "(Ljava/lang/String;)Ljava/lang/String;", "(Ljava/lang/String;II)Ljava/lang/String;",
                "Ljava/lang/String;I)Ljava/lang/String;", "(Ljava/lang/String;I)Ljava/lang/Object;")) {
            assertFalse(Reflection.hasDescriptor(m, d), d);
        }
    }

    @Test
    void findDeclaredTellsOverloadsApartByTheirWholeDescriptor() throws ReflectiveOperationException {
        assertNull(Reflection.findDeclared(Shapes.class, "overloaded", "(I)Ljava/lang/String;"));
        assertEquals(Shapes.class.getDeclaredMethod("overloaded", Object.class),
                Reflection.findDeclared(Shapes.class, "overloaded", "(Ljava/lang/Object;)Ljava/lang/Object;"));
        assertEquals(Shapes.class.getDeclaredMethod("overloaded", String.class),
                Reflection.findDeclared(Shapes.class, "overloaded", "(Ljava/lang/String;)Ljava/lang/String;"));
        assertNull(Reflection.findDeclared(Shapes.class, "missing", "()V"));
    }
}
