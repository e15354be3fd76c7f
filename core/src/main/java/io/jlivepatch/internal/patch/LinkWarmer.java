package io.jlivepatch.internal.patch;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Links, before a hook exists, an {@code invokedynamic} of every shape the hooks will link: the
 * guard's {@code ()Z} and each hooked method's call, with a bootstrap typed as the hooks' own.
 *
 * <p>Why: the JDK compiles the method-handle code behind a call site (its "lambda forms") the first
 * time a shape is linked, and that compiler uses {@code ArrayList}, {@code HashMap} and
 * {@code StringBuilder}. If the first site of a shape to be linked were the hook of one of those
 * very methods, linking it would call the method, whose site is still unlinked, which links it
 * again, and so on until the stack overflows: a recursion in the JVM's own code, before any of
 * jlivepatch's runs, that no guard of ours can stop. Linked here first, on a thread that runs
 * jlivepatch's code, the shapes are cached and a hook's linking compiles nothing.
 *
 * <p>The same holds for a replacement's {@code next.invokeExact(...)} ({@code @Next}), whose type is
 * the hook's call shape: the JVM links that call site of the patch's class at its first execution,
 * on the application's thread, and compiles the invoker of its shape then. For a patch of
 * {@code ArrayList.add} or {@code StringBuilder.append} that compiling called the patched method,
 * whose replacement reached its own {@code next.invokeExact} again, not linked yet: the thread
 * overflowed its stack at the first call (OwnPathsTest). So one {@code invokeExact} site of every
 * shape is linked here too, and called with a handle of that shape that does nothing.
 */
final class LinkWarmer {

    /** Call descriptors (references erased to Object) linked so far. */
    private static final Set<String> WARM = Collections.newSetFromMap(new ConcurrentHashMap<>());
    /**
     * The method descriptors, of static and of instance methods, whose shapes are in {@link #WARM}:
     * a change of 1000 methods asks about each of them twice, and working out a shape parses the
     * descriptor (BENCHMARKS.md section 2, session 23). As many as the distinct descriptors ever hooked.
     */
    private static final Set<String> WARM_STATIC = Collections.newSetFromMap(new ConcurrentHashMap<>());
    private static final Set<String> WARM_INSTANCE = Collections.newSetFromMap(new ConcurrentHashMap<>());

    private static final String BSM_DESC = "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;"
            + "Ljava/lang/invoke/MethodType;Ljava/lang/Object;)Ljava/lang/Object;";

    private LinkWarmer() {
    }

    /** Links the shapes of every hook {@code table} needs that are not linked yet. */
    static void warm(LinkTable table) {
        Set<String> shapes = new LinkedHashSet<>();
        shapes.add("()Z");
        Set<String> staticDescriptors = new LinkedHashSet<>();
        Set<String> instanceDescriptors = new LinkedHashSet<>();
        for (String className : table.classNames()) {
            for (MethodSpec m : table.hooksFor(className)) {
                Set<String> warm = m.isStatic() ? WARM_STATIC : WARM_INSTANCE;
                Set<String> seen = m.isStatic() ? staticDescriptors : instanceDescriptors;
                if (!warm.contains(m.descriptor()) && seen.add(m.descriptor())) {
                    shapes.add(callShape(m));
                }
            }
        }
        shapes.removeAll(WARM);
        if (shapes.isEmpty()) {
            WARM_STATIC.addAll(staticDescriptors); // their shapes were linked for other descriptors
            WARM_INSTANCE.addAll(instanceDescriptors);
            return;
        }
        int mark = RecursionGuard.enter();
        try {
            Class<?> sites = MethodHandles.lookup().defineHiddenClass(sitesClass(shapes), true).lookupClass();
            sites.getMethod("run").invoke(null);
            int i = 0;
            for (String shape : shapes) {
                if (invokable(shape)) {
                    MethodType type = MethodType.fromMethodDescriptorString(shape, LinkWarmer.class.getClassLoader());
                    sites.getMethod("next" + i, java.lang.invoke.MethodHandle.class).invoke(null,
                            MethodHandles.empty(type));
                }
                i++;
            }
            WARM.addAll(shapes);
            // After the shapes: a descriptor counts as warm only once its shape is linked.
            WARM_STATIC.addAll(staticDescriptors);
            WARM_INSTANCE.addAll(instanceDescriptors);
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            // Only a precaution failed: hooks still work; a hook of a method the JDK's linking itself
            // uses may then fail to link (and runs its original code).
            // Concatenated: as a format, the apostrophe of "JVM's" quoted the rest, and the line said "{0}".
            io.jlivepatch.internal.Log.get().log(System.Logger.Level.WARNING,
                    "preparing the JVM's call-site linking failed: " + e);
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /** The hook's call type as the JVM links it: receiver first, references as Object. */
    private static String callShape(MethodSpec m) {
        StringBuilder d = new StringBuilder("(");
        if (!m.isStatic()) {
            d.append("Ljava/lang/Object;");
        }
        for (Type t : Type.getArgumentTypes(m.descriptor())) {
            d.append(erase(t));
        }
        return d.append(')').append(erase(Type.getReturnType(m.descriptor()))).toString();
    }

    private static String erase(Type t) {
        return t.getSort() == Type.OBJECT || t.getSort() == Type.ARRAY ? "Ljava/lang/Object;" : t.getDescriptor();
    }

    /** A class whose {@code run()} executes one {@code invokedynamic} per shape, with default arguments. */
    private static byte[] sitesClass(Set<String> shapes) {
        String name = Type.getInternalName(LinkWarmer.class) + "$Sites";
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, name, null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "run", "()V", null, null);
        mv.visitCode();
        Handle bsm = new Handle(Opcodes.H_INVOKESTATIC, Type.getInternalName(LinkWarmer.class), "bootstrap",
                BSM_DESC, false);
        for (String shape : shapes) {
            for (Type arg : Type.getArgumentTypes(shape)) {
                pushDefault(mv, arg);
            }
            mv.visitInvokeDynamicInsn("warm", shape, bsm, "warm");
            Type ret = Type.getReturnType(shape);
            if (ret.getSize() == 2) {
                mv.visitInsn(Opcodes.POP2);
            } else if (ret.getSize() == 1) {
                mv.visitInsn(Opcodes.POP);
            }
        }
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        int i = -1;
        for (String shape : shapes) {
            i++;
            if (!invokable(shape)) {
                continue;
            }
            // One method each, given a handle of its shape that does nothing (MethodHandles.empty).
            MethodVisitor next = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "next" + i,
                    "(Ljava/lang/invoke/MethodHandle;)V", null, null);
            next.visitCode();
            next.visitVarInsn(Opcodes.ALOAD, 0);
            for (Type arg : Type.getArgumentTypes(shape)) {
                pushDefault(next, arg);
            }
            next.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/invoke/MethodHandle", "invokeExact", shape, false);
            Type ret = Type.getReturnType(shape);
            if (ret.getSize() == 2) {
                next.visitInsn(Opcodes.POP2);
            } else if (ret.getSize() == 1) {
                next.visitInsn(Opcodes.POP);
            }
            next.visitInsn(Opcodes.RETURN);
            next.visitMaxs(0, 0);
            next.visitEnd();
        }
        cw.visitEnd();
        return cw.toByteArray();
    }

    /**
     * Whether {@code shape} fits an {@code invokeExact} call, the handle taking one more of the 255
     * slots a call may pass: a method of nearly that many is left out (the class would not load, and
     * with it the hooks' own shapes would go unlinked).
     */
    private static boolean invokable(String shape) {
        return (Type.getArgumentsAndReturnSizes(shape) >> 2) - 1 < 255;
    }

    private static void pushDefault(MethodVisitor mv, Type t) {
        switch (t.getSort()) {
            case Type.LONG:
                mv.visitInsn(Opcodes.LCONST_0);
                break;
            case Type.FLOAT:
                mv.visitInsn(Opcodes.FCONST_0);
                break;
            case Type.DOUBLE:
                mv.visitInsn(Opcodes.DCONST_0);
                break;
            case Type.OBJECT:
            case Type.ARRAY:
                mv.visitInsn(Opcodes.ACONST_NULL);
                break;
            default:
                mv.visitInsn(Opcodes.ICONST_0);
        }
    }

    /**
     * The warm-up sites' bootstrap, typed exactly as the hooks' (PrologueInjector.BOOTSTRAP), and
     * returning the same kind of site: the JVM links a mutable site through other code than a constant one.
     */
    public static Object bootstrap(MethodHandles.Lookup caller, String name, MethodType type, Object key) {
        return new MutableCallSite(MethodHandles.empty(type));
    }
}
