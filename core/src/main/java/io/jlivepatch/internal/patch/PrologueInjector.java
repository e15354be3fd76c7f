package io.jlivepatch.internal.patch;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the entry prologue (the ftrace handler of a method) into a class file:
 *
 * <pre>
 *   invokedynamic guard()Z          // constant false unless a patch is active
 *   ifeq ORIGINAL
 *   load receiver and arguments
 *   invokedynamic call(receiver, args...)R
 *   xRETURN
 * ORIGINAL:                          // one full frame: the method's initial frame
 *   ...the method's own code, untouched
 * </pre>
 *
 * The original frames are kept and one frame is added at ORIGINAL (unless the code already has
 * one at its first instruction), so no class is ever loaded to compute frames.
 */
final class PrologueInjector {

    static final String DISPATCH = "io/jlivepatch/internal/bootstrap/Dispatch";
    /**
     * Typed exactly as the JDK's BootstrapMethodInvoker invokes a bootstrap with one static argument,
     * so that linking a hook converts no method handle: the conversion code uses HashMap, and linking
     * a hook of HashMap.hash would otherwise call HashMap.hash, link it again, and so on.
     */
    private static final Handle BOOTSTRAP = new Handle(Opcodes.H_INVOKESTATIC, DISPATCH, "bootstrap",
            "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;"
                    + "Ljava/lang/Object;)Ljava/lang/Object;", false);

    /** First class-file version that can hold {@code invokedynamic} (Java 7). */
    static final int MIN_MAJOR_VERSION = 51;

    /**
     * @param bytes    the class file, or {@code null} when no method was hooked
     * @param hooked   keys of the methods that now carry the prologue
     * @param failures key to reason, for requested methods that could not be hooked
     */
    record Result(byte[] bytes, List<String> hooked, Map<String, String> failures) {
    }

    private PrologueInjector() {
    }

    static int majorVersion(byte[] classFile) {
        return ((classFile[6] & 0xFF) << 8) | (classFile[7] & 0xFF);
    }

    static Result inject(byte[] classFile, List<MethodSpec> wanted) {
        Map<String, MethodSpec> byKey = new LinkedHashMap<>();
        for (MethodSpec m : wanted) {
            byKey.put(m.key(), m);
        }
        Map<String, String> failures = new LinkedHashMap<>();
        int major = majorVersion(classFile);
        if (major < MIN_MAJOR_VERSION) {
            for (String key : byKey.keySet()) {
                failures.put(key, "class file version " + major + " predates invokedynamic (Java 7, version 51);"
                        + " recompile the class for Java 7 or later to patch it");
            }
            return new Result(null, List.of(), failures);
        }
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(reader, 0);
        List<String> hooked = new ArrayList<>();
        Map<String, Integer> seenAccess = new HashMap<>();
        ClassVisitor cv = new ClassVisitor(Opcodes.ASM9, writer) {
            private String owner;

            @Override
            public void visit(int version, int access, String name, String signature, String superName,
                              String[] interfaces) {
                owner = name;
                super.visit(version, access, name, signature, superName, interfaces);
            }

            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
                String key = MethodSpec.key(name, descriptor);
                MethodSpec spec = byKey.get(key);
                if (spec == null) {
                    return mv;
                }
                seenAccess.put(key, access);
                String refusal = refusal(access, name, spec);
                if (refusal != null) {
                    failures.put(key, refusal);
                    return mv;
                }
                hooked.add(key);
                return new PrologueWriter(mv, access, owner, name, descriptor);
            }
        };
        reader.accept(cv, 0);
        for (String key : byKey.keySet()) {
            if (!seenAccess.containsKey(key)) {
                failures.put(key, "the class does not declare this method");
            }
        }
        return new Result(hooked.isEmpty() ? null : writer.toByteArray(), hooked, failures);
    }

    private static String refusal(int access, String name, MethodSpec spec) {
        if ((access & Opcodes.ACC_ABSTRACT) != 0) {
            return "the method is abstract: patch its implementations instead";
        }
        if ((access & Opcodes.ACC_NATIVE) != 0) {
            return "the method is native and has no bytecode to hook";
        }
        if (name.startsWith("<")) {
            return "constructors and class initializers cannot be hooked";
        }
        boolean isStatic = (access & Opcodes.ACC_STATIC) != 0;
        if (isStatic != spec.isStatic()) {
            return "the method is " + (isStatic ? "static" : "an instance method")
                    + " but the replacement was written for " + (spec.isStatic() ? "a static" : "an instance")
                    + " method (" + (spec.isStatic() ? "no receiver parameter" : "receiver parameter first") + ")";
        }
        return null;
    }

    /** Emits the prologue at the start of the code and the frame that follows it. */
    private static final class PrologueWriter extends MethodVisitor {
        private final int access;
        private final String owner;
        private final String name;
        private final String descriptor;
        private boolean framePending;

        PrologueWriter(MethodVisitor mv, int access, String owner, String name, String descriptor) {
            super(Opcodes.ASM9, mv);
            this.access = access;
            this.owner = owner;
            this.name = name;
            this.descriptor = descriptor;
        }

        private boolean isStatic() {
            return (access & Opcodes.ACC_STATIC) != 0;
        }

        @Override
        public void visitCode() {
            super.visitCode();
            String key = MethodSpec.key(name, descriptor);
            Label original = new Label();
            super.visitInvokeDynamicInsn("guard", "()Z", BOOTSTRAP, key);
            super.visitJumpInsn(Opcodes.IFEQ, original);
            StringBuilder callDesc = new StringBuilder("(");
            int slot = 0;
            if (!isStatic()) {
                super.visitVarInsn(Opcodes.ALOAD, 0);
                callDesc.append('L').append(owner).append(';');
                slot = 1;
            }
            for (Type arg : Type.getArgumentTypes(descriptor)) {
                super.visitVarInsn(arg.getOpcode(Opcodes.ILOAD), slot);
                callDesc.append(arg.getDescriptor());
                slot += arg.getSize();
            }
            Type ret = Type.getReturnType(descriptor);
            callDesc.append(')').append(ret.getDescriptor());
            super.visitInvokeDynamicInsn("call", callDesc.toString(), BOOTSTRAP, key);
            super.visitInsn(ret.getOpcode(Opcodes.IRETURN));
            super.visitLabel(original);
            framePending = true;
        }

        /**
         * The method's initial frame (receiver and parameters, empty stack) at ORIGINAL. It is the
         * method's first explicit frame, and frames are written relative to the one before, the
         * first to the implicit initial frame: so it is a "same" frame, and the method's own
         * frames, relative to the initial frame too, stay valid unchanged. The class is read with
         * its frames as they are (not expanded), which spares decoding and re-encoding every frame
         * of every hooked method.
         */
        private void emitInitialFrame() {
            framePending = false;
            super.visitFrame(Opcodes.F_SAME, 0, null, 0, null);
        }

        private void beforeInstruction() {
            if (framePending) {
                emitInitialFrame();
            }
        }

        @Override
        public void visitFrame(int type, int numLocal, Object[] local, int numStack, Object[] stack) {
            // The code already has a frame at its first instruction: it describes the same state.
            framePending = false;
            super.visitFrame(type, numLocal, local, numStack, stack);
        }

        @Override
        public void visitInsn(int opcode) {
            beforeInstruction();
            super.visitInsn(opcode);
        }

        @Override
        public void visitIntInsn(int opcode, int operand) {
            beforeInstruction();
            super.visitIntInsn(opcode, operand);
        }

        @Override
        public void visitVarInsn(int opcode, int varIndex) {
            beforeInstruction();
            super.visitVarInsn(opcode, varIndex);
        }

        @Override
        public void visitTypeInsn(int opcode, String type) {
            beforeInstruction();
            super.visitTypeInsn(opcode, type);
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
            beforeInstruction();
            super.visitFieldInsn(opcode, owner, name, descriptor);
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
            beforeInstruction();
            super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
        }

        @Override
        public void visitInvokeDynamicInsn(String name, String descriptor, Handle bsm, Object... bsmArgs) {
            beforeInstruction();
            super.visitInvokeDynamicInsn(name, descriptor, bsm, bsmArgs);
        }

        @Override
        public void visitJumpInsn(int opcode, Label label) {
            beforeInstruction();
            super.visitJumpInsn(opcode, label);
        }

        @Override
        public void visitLdcInsn(Object value) {
            beforeInstruction();
            super.visitLdcInsn(value);
        }

        @Override
        public void visitIincInsn(int varIndex, int increment) {
            beforeInstruction();
            super.visitIincInsn(varIndex, increment);
        }

        @Override
        public void visitTableSwitchInsn(int min, int max, Label dflt, Label... labels) {
            beforeInstruction();
            super.visitTableSwitchInsn(min, max, dflt, labels);
        }

        @Override
        public void visitLookupSwitchInsn(Label dflt, int[] keys, Label[] labels) {
            beforeInstruction();
            super.visitLookupSwitchInsn(dflt, keys, labels);
        }

        @Override
        public void visitMultiANewArrayInsn(String descriptor, int numDimensions) {
            beforeInstruction();
            super.visitMultiANewArrayInsn(descriptor, numDimensions);
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            int slots = isStatic() ? 0 : 1;
            for (Type arg : Type.getArgumentTypes(descriptor)) {
                slots += arg.getSize();
            }
            int prologueStack = Math.max(1, Math.max(slots, Type.getReturnType(descriptor).getSize()));
            super.visitMaxs(Math.max(maxStack, prologueStack), Math.max(maxLocals, slots));
        }
    }
}
