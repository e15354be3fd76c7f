package io.jlivepatch;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A method's name may hold '(' (legal in the JVM; Groovy's {@code def "a (b)"()} compiles to one). The
 * dispatch's sites key a method by name and descriptor in one string; the handle on the method itself
 * (what a site runs once its patch is gone) was looked up with the name cut at its own '(' and threw, so
 * a disabled patch's sites kept its replacement (and its class loader) and a thread that passed the guard
 * as the last patch went got the exception. Reflective: {@code Sites} is the bootstrap's private class (and
 * the bootstrap package holds only the classes the boot class path gets: {@code BootstrapClassPathTest}).
 */
class MethodKeyParenTest {

    @Test
    void theMethodItselfIsFoundWhenItsNameHoldsAParenthesis() throws Throwable {
        Class<?> owner = new OneClassLoader().define();
        MethodHandle m = itself(owner, "a (b)(I)I", MethodType.methodType(int.class, int.class));
        assertEquals(2, (int) m.invokeExact(1));
        MethodHandle plain = itself(owner, "plain(I)I", MethodType.methodType(int.class, int.class));
        assertEquals(11, (int) plain.invokeExact(1));
    }

    private static MethodHandle itself(Class<?> owner, String key, MethodType site) throws Exception {
        TestSupport.livepatch(); // the agent appended the dispatch's classes to the boot class path: the one Dispatch
        Class<?> sites = Class.forName("io.jlivepatch.internal.bootstrap.Dispatch$Sites", true, null);
        Constructor<?> c = sites.getDeclaredConstructor(Class.class, String.class);
        c.setAccessible(true);
        Method itself = sites.getDeclaredMethod("itself", MethodHandles.Lookup.class, MethodType.class);
        itself.setAccessible(true);
        return (MethodHandle) itself.invoke(c.newInstance(owner, key),
                MethodHandles.privateLookupIn(owner, MethodHandles.lookup()), site);
    }

    /** Defines {@code parenapp.Paren} with {@code static int "a (b)"(int x) { return x + 1; }} and {@code plain}: x + 10. */
    private static final class OneClassLoader extends ClassLoader {
        OneClassLoader() {
            super(MethodKeyParenTest.class.getClassLoader());
        }

        Class<?> define() {
            ClassWriter w = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
            w.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "parenapp/Paren", null, "java/lang/Object", null);
            method(w, "a (b)", 1);
            method(w, "plain", 10);
            w.visitEnd();
            byte[] b = w.toByteArray();
            return defineClass("parenapp.Paren", b, 0, b.length);
        }

        private static void method(ClassWriter w, String name, int add) {
            MethodVisitor mv = w.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, name, "(I)I", null, null);
            mv.visitCode();
            mv.visitVarInsn(Opcodes.ILOAD, 0);
            mv.visitIntInsn(Opcodes.BIPUSH, add);
            mv.visitInsn(Opcodes.IADD);
            mv.visitInsn(Opcodes.IRETURN);
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        }
    }
}
