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
     * @param code     key to a fingerprint of the code each hooked method had before its prologue
     *                 (see {@link #fingerprints})
     */
    record Result(byte[] bytes, List<String> hooked, Map<String, String> failures, Map<String, Long> code) {
    }

    private PrologueInjector() {
    }

    static int majorVersion(byte[] classFile) {
        return ((classFile[6] & 0xFF) << 8) | (classFile[7] & 0xFF);
    }

    static Result inject(byte[] classFile, List<MethodSpec> wanted) {
        return rewrite(classFile, wanted, true);
    }

    /**
     * A fingerprint of each wanted method's code as {@code classFile} has it: its instructions and
     * their operands, the labels they jump to by order, try-catch blocks; no line numbers or frames. The transformer
     * records the fingerprint of the code it received ({@link Result#code}); compared with the one
     * of the class file its loader holds, it tells whether another agent put code of its own into
     * the method before jlivepatch's prologue (which that code then does not run under).
     */
    static Map<String, Long> fingerprints(byte[] classFile, List<MethodSpec> wanted) {
        return rewrite(classFile, wanted, false).code();
    }

    /** @param emit write the prologue; else only take the fingerprints */
    private static Result rewrite(byte[] classFile, List<MethodSpec> wanted, boolean emit) {
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
            return new Result(null, List.of(), failures, Map.of());
        }
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = emit ? new ClassWriter(reader, 0) : null;
        List<String> hooked = new ArrayList<>();
        Map<String, Long> code = new HashMap<>();
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
                return new PrologueWriter(mv, access, owner, name, descriptor, emit, code);
            }
        };
        reader.accept(cv, 0); // as the transformer reads it: the same events, so the same fingerprints
        for (String key : byKey.keySet()) {
            if (!seenAccess.containsKey(key)) {
                failures.put(key, "the class does not declare this method");
            }
        }
        return new Result(hooked.isEmpty() || !emit ? null : writer.toByteArray(), hooked, failures, code);
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

    /**
     * Emits the prologue at the start of the code and the frame that follows it, and takes the
     * fingerprint of the code it passes on (see {@link #fingerprints}).
     */
    private static final class PrologueWriter extends MethodVisitor {
        private final int access;
        private final String owner;
        private final String name;
        private final String descriptor;
        private final boolean emit;
        private final Map<String, Long> code;
        private boolean framePending;
        private long fingerprint = 17;
        private int labels;

        PrologueWriter(MethodVisitor mv, int access, String owner, String name, String descriptor, boolean emit,
                       Map<String, Long> code) {
            super(Opcodes.ASM9, mv);
            this.access = access;
            this.owner = owner;
            this.name = name;
            this.descriptor = descriptor;
            this.emit = emit;
            this.code = code;
        }

        private boolean isStatic() {
            return (access & Opcodes.ACC_STATIC) != 0;
        }

        @Override
        public void visitCode() {
            super.visitCode();
            if (!emit) {
                return;
            }
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

        /** Before each instruction of the method's own code: the frame, if due, and the fingerprint. */
        private void beforeInstruction(int opcode, Object... operands) {
            if (framePending) {
                emitInitialFrame();
            }
            long h = fingerprint * 31 + opcode;
            for (Object o : operands) {
                h = h * 31 + (o instanceof Label ? label((Label) o) : o instanceof Object[]
                        ? java.util.Arrays.deepHashCode((Object[]) o) : java.util.Objects.hashCode(o));
            }
            fingerprint = h;
        }

        /**
         * A label's number in the order labels are first jumped to (line numbers and local variable
         * ranges bring labels of their own, which differ with what a class file keeps of its debug
         * information), kept in the label's user field.
         */
        private int label(Label l) {
            if (!(l.info instanceof Integer)) {
                l.info = labels++;
            }
            return (Integer) l.info;
        }

        @Override
        public void visitTryCatchBlock(Label start, Label end, Label handler, String type) {
            fingerprint = ((fingerprint * 31 + label(start)) * 31 + label(end)) * 31 + label(handler)
                    + java.util.Objects.hashCode(type);
            super.visitTryCatchBlock(start, end, handler, type);
        }

        @Override
        public void visitEnd() {
            code.put(MethodSpec.key(name, descriptor), fingerprint);
            super.visitEnd();
        }

        @Override
        public void visitFrame(int type, int numLocal, Object[] local, int numStack, Object[] stack) {
            // The code already has a frame at its first instruction: it describes the same state.
            framePending = false;
            super.visitFrame(type, numLocal, local, numStack, stack);
        }

        @Override
        public void visitInsn(int opcode) {
            beforeInstruction(opcode);
            super.visitInsn(opcode);
        }

        @Override
        public void visitIntInsn(int opcode, int operand) {
            beforeInstruction(opcode, operand);
            super.visitIntInsn(opcode, operand);
        }

        @Override
        public void visitVarInsn(int opcode, int varIndex) {
            beforeInstruction(opcode, varIndex);
            super.visitVarInsn(opcode, varIndex);
        }

        @Override
        public void visitTypeInsn(int opcode, String type) {
            beforeInstruction(opcode, type);
            super.visitTypeInsn(opcode, type);
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
            beforeInstruction(opcode, owner, name, descriptor);
            super.visitFieldInsn(opcode, owner, name, descriptor);
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
            beforeInstruction(opcode, owner, name, descriptor, isInterface);
            super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
        }

        @Override
        public void visitInvokeDynamicInsn(String name, String descriptor, Handle bsm, Object... bsmArgs) {
            beforeInstruction(Opcodes.INVOKEDYNAMIC, name, descriptor, bsm, bsmArgs);
            super.visitInvokeDynamicInsn(name, descriptor, bsm, bsmArgs);
        }

        @Override
        public void visitJumpInsn(int opcode, Label label) {
            beforeInstruction(opcode, label);
            super.visitJumpInsn(opcode, label);
        }

        @Override
        public void visitLdcInsn(Object value) {
            beforeInstruction(Opcodes.LDC, value);
            super.visitLdcInsn(value);
        }

        @Override
        public void visitIincInsn(int varIndex, int increment) {
            beforeInstruction(Opcodes.IINC, varIndex, increment);
            super.visitIincInsn(varIndex, increment);
        }

        @Override
        public void visitTableSwitchInsn(int min, int max, Label dflt, Label... labels) {
            beforeInstruction(Opcodes.TABLESWITCH, min, max, dflt);
            for (Label l : labels) {
                fingerprint = fingerprint * 31 + label(l);
            }
            super.visitTableSwitchInsn(min, max, dflt, labels);
        }

        @Override
        public void visitLookupSwitchInsn(Label dflt, int[] keys, Label[] labels) {
            beforeInstruction(Opcodes.LOOKUPSWITCH, dflt, java.util.Arrays.hashCode(keys));
            for (Label l : labels) {
                fingerprint = fingerprint * 31 + label(l);
            }
            super.visitLookupSwitchInsn(dflt, keys, labels);
        }

        @Override
        public void visitMultiANewArrayInsn(String descriptor, int numDimensions) {
            beforeInstruction(Opcodes.MULTIANEWARRAY, descriptor, numDimensions);
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
