package io.jlivepatch.bench;

import bench.target.GeneratedFix;
import io.jlivepatch.Patch;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Target classes generated at set-up (ASM), for the benchmarks that need many of them:
 * {@code classes} classes {@code <package>.C<k>} of a class loader of their own, each with
 * {@code methodsPerClass} methods {@code public static int m<j>(int x) { return 31 * x + j; }}.
 * One shared replacement, {@link GeneratedFix#replacement(int)}, fits every one of them.
 */
public final class GeneratedTargets {

    private final List<Class<?>> classes;
    private final List<Method> methods;
    private final Loader loader;
    private Method loop;

    private GeneratedTargets(List<Class<?>> classes, List<Method> methods, Loader loader) {
        this.classes = Collections.unmodifiableList(classes);
        this.methods = Collections.unmodifiableList(methods);
        this.loader = loader;
    }

    /**
     * Defines and initializes the classes.
     *
     * @param packageName a package outside {@code io.jlivepatch}, unique in this JVM, e.g. {@code bench.gen.change100}
     */
    public static GeneratedTargets define(String packageName, int classes, int methodsPerClass) {
        Loader loader = new Loader(GeneratedTargets.class.getClassLoader());
        List<Class<?>> cs = new ArrayList<>();
        List<Method> ms = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            String name = packageName + ".C" + k;
            Class<?> c = loader.define(name, classBytes(name.replace('.', '/'), methodsPerClass));
            try {
                Class.forName(name, true, loader);
                for (int j = 0; j < methodsPerClass; j++) {
                    ms.add(c.getMethod("m" + j, int.class));
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            cs.add(c);
        }
        return new GeneratedTargets(cs, ms, loader);
    }

    /** {@code n} methods: 1 class of 1 method for 1, else classes of 10 methods (100: 10 x 10, 1000: 100 x 10). */
    public static GeneratedTargets define(String packageName, int n) {
        if (n < 10) {
            return define(packageName, 1, n);
        }
        if (n % 10 != 0) {
            throw new IllegalArgumentException("use 1 to 9 methods or a multiple of 10, not " + n);
        }
        return define(packageName, n / 10, 10);
    }

    public List<Class<?>> classes() {
        return classes;
    }

    public List<Method> methods() {
        return methods;
    }

    /** One patch replacing every method by {@link GeneratedFix#replacement(int)}. */
    public Patch patch(String name) {
        Method fix;
        try {
            fix = GeneratedFix.class.getMethod("replacement", int.class);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        Patch.Builder b = Patch.builder(name).description(methods.size() + " generated methods in "
                + classes.size() + " classes");
        for (Method m : methods) {
            b.replace(m, fix);
        }
        return b.build();
    }

    /** What {@code m<j>(x)} returns unpatched. */
    public static int original(Method m, int x) {
        return 31 * x + Integer.parseInt(m.getName().substring(1));
    }

    /** What every method returns patched. */
    public static int patched(int x) {
        return GeneratedFix.replacement(x);
    }

    public static int call(Method m, int x) {
        try {
            return (Integer) m.invoke(null, x);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Calls every method once (which links their hooks' call sites while they are patched) and
     * checks that each returns its original ({@code patched == false}) or the replacement's value.
     */
    public void callAll(boolean patched) {
        for (Method m : methods) {
            int got = call(m, 1);
            int want = patched ? patched(1) : original(m, 1);
            if (got != want) {
                throw new IllegalStateException(m + " returned " + got + ", expected " + want
                        + (patched ? " (patched)" : " (original)"));
            }
        }
    }

    /**
     * Runs {@code s += m0(i)} for i from 0 to n - 1 of the first class, from a generated caller in the
     * same class loader: a loop that the JIT compiles (OSR) with a direct call of the target, as an
     * application's hot call site would be. Returns the sum.
     */
    public synchronized int loop(int n) {
        try {
            if (loop == null) {
                String owner = classes.get(0).getName();
                String name = owner + "Caller";
                Class<?> c = loader.define(name, callerBytes(name.replace('.', '/'), owner.replace('.', '/')));
                loop = c.getMethod("loop", int.class);
            }
            return (Integer) loop.invoke(null, n);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] callerBytes(String internalName, String target) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS | ClassWriter.COMPUTE_FRAMES);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, internalName, null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "loop", "(I)I", null, null);
        mv.visitCode();
        org.objectweb.asm.Label test = new org.objectweb.asm.Label();
        org.objectweb.asm.Label body = new org.objectweb.asm.Label();
        mv.visitInsn(Opcodes.ICONST_0);
        mv.visitVarInsn(Opcodes.ISTORE, 1); // s
        mv.visitInsn(Opcodes.ICONST_0);
        mv.visitVarInsn(Opcodes.ISTORE, 2); // i
        mv.visitJumpInsn(Opcodes.GOTO, test);
        mv.visitLabel(body);
        mv.visitVarInsn(Opcodes.ILOAD, 1);
        mv.visitVarInsn(Opcodes.ILOAD, 2);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, target, "m0", "(I)I", false);
        mv.visitInsn(Opcodes.IADD);
        mv.visitVarInsn(Opcodes.ISTORE, 1);
        mv.visitIincInsn(2, 1);
        mv.visitLabel(test);
        mv.visitVarInsn(Opcodes.ILOAD, 2);
        mv.visitVarInsn(Opcodes.ILOAD, 0);
        mv.visitJumpInsn(Opcodes.IF_ICMPLT, body);
        mv.visitVarInsn(Opcodes.ILOAD, 1);
        mv.visitInsn(Opcodes.IRETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    static byte[] classBytes(String internalName, int methods) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, internalName, null,
                "java/lang/Object", null);
        for (int j = 0; j < methods; j++) {
            MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "m" + j, "(I)I", null, null);
            mv.visitCode();
            mv.visitIntInsn(Opcodes.BIPUSH, 31);
            mv.visitVarInsn(Opcodes.ILOAD, 0);
            mv.visitInsn(Opcodes.IMUL);
            mv.visitIntInsn(Opcodes.BIPUSH, j);
            mv.visitInsn(Opcodes.IADD);
            mv.visitInsn(Opcodes.IRETURN);
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        }
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** The generated classes' own loader (a child of the benchmark's), so they never clash by name. */
    static final class Loader extends ClassLoader {
        Loader(ClassLoader parent) {
            super("bench-generated", parent);
        }

        Class<?> define(String name, byte[] bytes) {
            return defineClass(name, bytes, 0, bytes.length);
        }
    }
}
