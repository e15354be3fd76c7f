package io.jlivepatch.internal.patch;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.InvokeDynamicInsnNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;

import java.util.HashSet;
import java.util.Set;

/**
 * Writes the class file of a copy of one method's original code: a class with a single
 * {@code static} method {@value #METHOD}, the receiver (if any) first, whose code is the method's
 * own as the hook transformer received it (other agents' code included, jlivepatch's prologue not).
 * Defined as a hidden nestmate of the method's class ({@link OriginalCopies}), it is the original
 * code without the hook in front: what {@code @Next} runs instead of calling the hooked method
 * through a one-shot pass ({@link OriginalPass}).
 *
 * <p>The copy runs in another class, so only code that behaves the same there is copied; anything
 * else is refused, with the reason, and keeps the pass. A nestmate reaches every private member of
 * the nest, and the copy is in the same runtime package, module and protection domain, so public,
 * package and private access are the class's own. What differs, and is refused:
 * <ul>
 *   <li>{@code super.m()} ({@code invokespecial} of anything but a constructor or a private method
 *       of the class, which becomes {@code invokevirtual}: nestmates call each other's private
 *       methods that way);</li>
 *   <li>protected members of a superclass in another package: a nestmate is no subclass. So a class
 *       whose superclasses (but {@code Object}, {@code Enum}, {@code Record}) are not all of its own
 *       runtime package is refused whole, and calls of {@code clone} and {@code finalize} (maybe
 *       {@code Object}'s protected ones) are never copied;</li>
 *   <li>methods of interfaces; {@code synchronized} methods that store into their receiver's local
 *       (a copy of a {@code synchronized} method holds the method's monitor with a block around the
 *       code, which needs the receiver to unlock);</li>
 *   <li>code that asks who its caller class is: {@code MethodHandles.lookup()},
 *       {@code StackWalker}, {@code Reflection.getCallerClass()};</li>
 *   <li>{@code invokedynamic} other than lambdas ({@code LambdaMetafactory.metafactory}, not the
 *       serializable {@code altMetafactory}, whose form names the capturing class) and string
 *       concatenation; method handle constants of kind {@code invokespecial}; dynamic constants.</li>
 * </ul>
 * Not refused, and documented: the copy's frame is a hidden class's, which stack traces leave out
 * unless the JVM runs with {@code -XX:+UnlockDiagnosticVMOptions -XX:+ShowHiddenFrames}.
 */
final class OriginalCopy {

    /** The copy's one method. */
    static final String METHOD = "original";

    /**
     * @param bytes   the copy's class file, or {@code null} when refused
     * @param refusal why the method's code cannot be copied, or {@code null}
     */
    record Result(byte[] bytes, String refusal) {
        static Result refused(String why) {
            return new Result(null, why);
        }
    }

    private OriginalCopy() {
    }

    /**
     * The copy of {@code owner}'s method {@code name}/{@code descriptor} as {@code classFile} has it.
     * {@code owner} is the loaded class (its superclasses decide what a copy can reach).
     */
    static Result write(byte[] classFile, Class<?> owner, String name, String descriptor) {
        ClassNode cn = new ClassNode();
        // Frames as they are: the copy keeps the method's locals and code, so its frames stay valid.
        new ClassReader(classFile).accept(cn, 0);
        if (!cn.name.equals(owner.getName().replace('.', '/'))) {
            return Result.refused("the class file is of " + cn.name + ", not of " + owner.getName());
        }
        if ((cn.access & Opcodes.ACC_INTERFACE) != 0) {
            return Result.refused("a method of an interface");
        }
        String foreignSuper = superclassElsewhere(owner);
        if (foreignSuper != null) {
            return Result.refused("the class extends " + foreignSuper + " of another runtime package, whose"
                    + " protected members a copy could not reach");
        }
        MethodNode mn = null;
        Set<String> privateMethods = new HashSet<>();
        for (MethodNode m : cn.methods) {
            if ((m.access & Opcodes.ACC_PRIVATE) != 0) {
                privateMethods.add(m.name + m.desc);
            }
            if (m.name.equals(name) && m.desc.equals(descriptor)) {
                mn = m;
            }
        }
        if (mn == null || mn.instructions.size() == 0) {
            return Result.refused("the class file has no code for the method");
        }
        boolean isStatic = (mn.access & Opcodes.ACC_STATIC) != 0;
        if ((mn.access & Opcodes.ACC_SYNCHRONIZED) != 0 && !isStatic && storesReceiverSlot(mn)) {
            return Result.refused("the method is synchronized and stores into its receiver's local");
        }
        for (AbstractInsnNode insn : mn.instructions) {
            String why = refusal(insn, cn.name, privateMethods);
            if (why != null) {
                return Result.refused(why);
            }
        }
        return new Result(copy(cn, mn), null);
    }

    /** Whether the code stores into local 0: then it no longer holds the receiver to unlock. */
    private static boolean storesReceiverSlot(MethodNode mn) {
        for (AbstractInsnNode insn : mn.instructions) {
            if (insn instanceof org.objectweb.asm.tree.VarInsnNode v && v.var == 0 && v.getOpcode() >= Opcodes.ISTORE
                    && v.getOpcode() <= Opcodes.ASTORE) {
                return true;
            }
            if (insn instanceof org.objectweb.asm.tree.IincInsnNode i && i.var == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The first superclass outside {@code owner}'s runtime package whose protected members a copy
     * could need, or null. {@code Object}, {@code Enum} and {@code Record} have none but constructors
     * (which only the subclass's own constructors call) and {@code clone} and {@code finalize}
     * (refused by name, see {@link #memberRefusal}).
     */
    private static String superclassElsewhere(Class<?> owner) {
        for (Class<?> s = owner.getSuperclass(); s != null && s != Object.class && s != Enum.class
                && s != Record.class; s = s.getSuperclass()) {
            if (s.getClassLoader() != owner.getClassLoader() || !s.getPackageName().equals(owner.getPackageName())) {
                return s.getName();
            }
        }
        return null;
    }

    /** Why {@code insn} cannot run in the copy, or null; rewrites a private {@code invokespecial}. */
    private static String refusal(AbstractInsnNode insn, String self, Set<String> privateMethods) {
        if (insn instanceof MethodInsnNode mi) {
            if (mi.getOpcode() == Opcodes.INVOKESPECIAL && !mi.name.equals("<init>")) {
                if (!mi.owner.equals(self) || !privateMethods.contains(mi.name + mi.desc)) {
                    return "it calls a superclass's method (super." + mi.name + ")";
                }
                // A nestmate's private method: invokevirtual selects it directly (JVMS 11 and later).
                mi.setOpcode(Opcodes.INVOKEVIRTUAL);
            }
            return memberRefusal(mi.owner, mi.name, true);
        }
        if (insn instanceof FieldInsnNode fi) {
            return memberRefusal(fi.owner, fi.name, false);
        }
        if (insn instanceof InvokeDynamicInsnNode indy) {
            Handle bsm = indy.bsm;
            boolean lambda = bsm.getOwner().equals("java/lang/invoke/LambdaMetafactory")
                    && bsm.getName().equals("metafactory");
            boolean concat = bsm.getOwner().equals("java/lang/invoke/StringConcatFactory");
            if (!lambda && !concat) {
                return "it uses invokedynamic with " + bsm.getOwner() + "." + bsm.getName();
            }
            for (Object arg : indy.bsmArgs) {
                String why = constantRefusal(arg);
                if (why != null) {
                    return why;
                }
            }
            return null;
        }
        if (insn instanceof LdcInsnNode ldc) {
            return constantRefusal(ldc.cst);
        }
        return null;
    }

    private static String constantRefusal(Object constant) {
        if (constant instanceof ConstantDynamic) {
            return "it loads a dynamic constant";
        }
        if (constant instanceof Handle h) {
            if (h.getTag() == Opcodes.H_INVOKESPECIAL) {
                return "it takes a method handle of kind invokespecial (" + h.getName() + ")";
            }
            return memberRefusal(h.getOwner(), h.getName(), h.getTag() >= Opcodes.H_INVOKEVIRTUAL);
        }
        return null;
    }

    /** A member reference the copy could not make as the class does, or null. */
    private static String memberRefusal(String owner, String name, boolean method) {
        if (owner.startsWith("[")) {
            return null; // arrays: clone is public
        }
        if (method && (name.equals("clone") || name.equals("finalize"))) {
            // maybe Object's protected method, which only a subclass reaches
            return "it calls " + name + "(), which may be Object's protected method";
        }
        if (method && (owner.equals("java/lang/invoke/MethodHandles") && name.equals("lookup")
                || owner.equals("java/lang/StackWalker")
                || name.equals("getCallerClass") && owner.endsWith("/Reflection"))) {
            return "it asks for its caller class (" + owner.replace('/', '.') + "." + name + ")";
        }
        return null;
    }

    /** The copy's class file: the method, static, receiver first, code and debug information kept. */
    private static byte[] copy(ClassNode cn, MethodNode mn) {
        boolean isStatic = (mn.access & Opcodes.ACC_STATIC) != 0;
        int major = cn.version & 0xFFFF;
        // 55 (Java 11) at least: a nestmate's private methods are called with invokevirtual.
        int version = major < Opcodes.V11 ? Opcodes.V11 : cn.version;
        ClassWriter cw = new ClassWriter(0); // frames and maxima are the method's own: nothing to compute
        cw.visit(version, Opcodes.ACC_FINAL | Opcodes.ACC_SUPER | Opcodes.ACC_SYNTHETIC, cn.name + "$$JlpOriginal",
                null, "java/lang/Object", null);
        if (cn.sourceFile != null) {
            cw.visitSource(cn.sourceFile, null); // stack traces name the class's source file and lines
        }
        String desc = isStatic ? mn.desc : "(L" + cn.name + ";" + mn.desc.substring(1);
        int access = Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC | Opcodes.ACC_SYNTHETIC
                | (mn.access & (Opcodes.ACC_STRICT | Opcodes.ACC_VARARGS));
        MethodVisitor mv = cw.visitMethod(access, METHOD, desc, null,
                mn.exceptions.toArray(new String[0]));
        if ((mn.access & Opcodes.ACC_SYNCHRONIZED) != 0) {
            synchronize(cn.name, mn, isStatic);
        }
        mn.accept(new CodeOnly(mv, !isStatic));
        cw.visitEnd();
        return cw.toByteArray();
    }

    /**
     * Makes the copy of a {@code synchronized} method hold the monitor the method holds (the
     * receiver's, or the class's for a static method) as javac writes a {@code synchronized} block:
     * enter first; before each return, exit; a handler of anything thrown that exits and rethrows.
     * The receiver stays in local 0 (checked: the code never stores there), so every frame of the
     * code already says what the handler needs, and the handler's own frame is the receiver alone.
     */
    private static void synchronize(String owner, MethodNode mn, boolean isStatic) {
        org.objectweb.asm.tree.InsnList code = mn.instructions;
        org.objectweb.asm.tree.LabelNode start = new org.objectweb.asm.tree.LabelNode();
        org.objectweb.asm.tree.LabelNode end = new org.objectweb.asm.tree.LabelNode();
        org.objectweb.asm.tree.LabelNode handler = new org.objectweb.asm.tree.LabelNode();
        for (AbstractInsnNode insn : code.toArray()) {
            int op = insn.getOpcode();
            if (op >= Opcodes.IRETURN && op <= Opcodes.RETURN) {
                code.insertBefore(insn, monitor(owner, isStatic));
                code.insertBefore(insn, new org.objectweb.asm.tree.InsnNode(Opcodes.MONITOREXIT));
            }
        }
        org.objectweb.asm.tree.InsnList enter = new org.objectweb.asm.tree.InsnList();
        enter.add(monitor(owner, isStatic));
        enter.add(new org.objectweb.asm.tree.InsnNode(Opcodes.MONITORENTER));
        enter.add(start);
        code.insert(enter);
        code.add(end);
        code.add(handler);
        Object[] locals = isStatic ? new Object[0] : new Object[] {owner};
        code.add(new org.objectweb.asm.tree.FrameNode(Opcodes.F_FULL, locals.length, locals, 1,
                new Object[] {"java/lang/Throwable"}));
        code.add(monitor(owner, isStatic));
        code.add(new org.objectweb.asm.tree.InsnNode(Opcodes.MONITOREXIT));
        code.add(new org.objectweb.asm.tree.InsnNode(Opcodes.ATHROW));
        // last in the table: the code's own handlers come first, as they would inside the method
        mn.tryCatchBlocks.add(new org.objectweb.asm.tree.TryCatchBlockNode(start, end, handler, null));
        mn.maxStack += 2; // the monitor's object above a return value or the thrown one
    }

    private static AbstractInsnNode monitor(String owner, boolean isStatic) {
        return isStatic ? new LdcInsnNode(Type.getObjectType(owner))
                : new org.objectweb.asm.tree.VarInsnNode(Opcodes.ALOAD, 0);
    }

    /**
     * Passes the code on, without the method's annotations and parameters' metadata; an instance
     * method's copy first checks its receiver as {@code invokespecial} would (a {@code NullPointerException}
     * before any of the code runs).
     */
    private static final class CodeOnly extends MethodVisitor {
        private final boolean checkReceiver;

        CodeOnly(MethodVisitor mv, boolean checkReceiver) {
            super(Opcodes.ASM9, mv);
            this.checkReceiver = checkReceiver;
        }

        @Override
        public void visitParameter(String name, int access) {
        }

        @Override
        public org.objectweb.asm.AnnotationVisitor visitAnnotationDefault() {
            return null;
        }

        @Override
        public org.objectweb.asm.AnnotationVisitor visitAnnotation(String descriptor, boolean visible) {
            return null;
        }

        @Override
        public org.objectweb.asm.AnnotationVisitor visitTypeAnnotation(int typeRef, org.objectweb.asm.TypePath path,
                                                                       String descriptor, boolean visible) {
            return null;
        }

        @Override
        public void visitAnnotableParameterCount(int parameterCount, boolean visible) {
        }

        @Override
        public org.objectweb.asm.AnnotationVisitor visitParameterAnnotation(int parameter, String descriptor,
                                                                            boolean visible) {
            return null;
        }

        @Override
        public org.objectweb.asm.AnnotationVisitor visitInsnAnnotation(int typeRef, org.objectweb.asm.TypePath path,
                                                                       String descriptor, boolean visible) {
            return null;
        }

        @Override
        public org.objectweb.asm.AnnotationVisitor visitTryCatchAnnotation(int typeRef,
                                                                           org.objectweb.asm.TypePath path,
                                                                           String descriptor, boolean visible) {
            return null;
        }

        @Override
        public org.objectweb.asm.AnnotationVisitor visitLocalVariableAnnotation(int typeRef,
                org.objectweb.asm.TypePath path, org.objectweb.asm.Label[] start, org.objectweb.asm.Label[] end,
                int[] index, String descriptor, boolean visible) {
            return null;
        }

        @Override
        public void visitAttribute(org.objectweb.asm.Attribute attribute) {
        }

        @Override
        public void visitCode() {
            super.visitCode();
            if (checkReceiver) {
                // javac's null check: the same instructions, and no frame needed (no branch)
                super.visitVarInsn(Opcodes.ALOAD, 0);
                super.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/Object", "getClass", "()Ljava/lang/Class;",
                        false);
                super.visitInsn(Opcodes.POP);
            }
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            super.visitMaxs(Math.max(maxStack, 1), maxLocals);
        }
    }
}
