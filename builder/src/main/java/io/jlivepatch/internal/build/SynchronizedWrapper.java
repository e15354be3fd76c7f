package io.jlivepatch.internal.build;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.util.ArrayList;
import java.util.List;

/**
 * The copy of an added {@code synchronized} method in a patch's carrier class: a {@code static}
 * method (the receiver its first parameter) that holds the receiver's monitor, or the host class's
 * for a static method, around a call of the method's body, and lets it go on every way out, as the
 * JVM does for a synchronized method:
 *
 * <pre>{@code
 * public static R m(Host self, A a) {
 *     synchronized (self) {            // Host.class for a static method
 *         return m$$unlocked(self, a);
 *     }
 * }
 * }</pre>
 */
final class SynchronizedWrapper {

    private SynchronizedWrapper() {
    }

    static String bodyName(String name) {
        return name + "$$unlocked";
    }

    /** @param desc the carrier method's descriptor (with the receiver for an instance method) */
    static void write(ClassWriter cw, String self, String host, String name, String desc, boolean isStatic,
                      String[] exceptions) {
        Type method = Type.getMethodType(desc);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC | Opcodes.ACC_SYNTHETIC, name, desc,
                null, exceptions);
        mv.visitCode();
        int lockSlot = 0;
        List<Object> locals = new ArrayList<>();
        for (Type t : method.getArgumentTypes()) {
            lockSlot += t.getSize();
            locals.add(frameType(t));
        }
        Label start = new Label();
        Label end = new Label();
        Label handler = new Label();
        mv.visitTryCatchBlock(start, end, handler, null);
        if (isStatic) {
            mv.visitLdcInsn(Type.getObjectType(host));
        } else {
            mv.visitVarInsn(Opcodes.ALOAD, 0);
        }
        mv.visitInsn(Opcodes.DUP);
        mv.visitVarInsn(Opcodes.ASTORE, lockSlot);
        mv.visitInsn(Opcodes.MONITORENTER);
        mv.visitLabel(start);
        int slot = 0;
        for (Type t : method.getArgumentTypes()) {
            mv.visitVarInsn(t.getOpcode(Opcodes.ILOAD), slot);
            slot += t.getSize();
        }
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, self, bodyName(name), desc, false);
        mv.visitVarInsn(Opcodes.ALOAD, lockSlot);
        mv.visitInsn(Opcodes.MONITOREXIT);
        mv.visitLabel(end);
        mv.visitInsn(method.getReturnType().getOpcode(Opcodes.IRETURN));
        mv.visitLabel(handler);
        locals.add("java/lang/Object");
        mv.visitFrame(Opcodes.F_FULL, locals.size(), locals.toArray(), 1, new Object[] {"java/lang/Throwable"});
        mv.visitVarInsn(Opcodes.ALOAD, lockSlot);
        mv.visitInsn(Opcodes.MONITOREXIT);
        mv.visitInsn(Opcodes.ATHROW);
        int resultSize = method.getReturnType().getSize();
        mv.visitMaxs(Math.max(Math.max(2, slot), resultSize + 1), lockSlot + 1);
        mv.visitEnd();
    }

    private static Object frameType(Type t) {
        switch (t.getSort()) {
            case Type.BOOLEAN:
            case Type.BYTE:
            case Type.CHAR:
            case Type.SHORT:
            case Type.INT:
                return Opcodes.INTEGER;
            case Type.LONG:
                return Opcodes.LONG;
            case Type.FLOAT:
                return Opcodes.FLOAT;
            case Type.DOUBLE:
                return Opcodes.DOUBLE;
            case Type.ARRAY:
                return t.getDescriptor();
            default:
                return t.getInternalName();
        }
    }
}
