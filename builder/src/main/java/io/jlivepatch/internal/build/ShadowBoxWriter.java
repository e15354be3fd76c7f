package io.jlivepatch.internal.build;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Writes the holder of one added field's values: a class carried in the patch into the field's
 * package, one instance per object (per class, for a static field), attached as the shadow
 * variable. Its one field, {@code value}, has the added field's type and is volatile iff the added
 * field was; the code the patch carries reads and writes it where the new build read and wrote the
 * added field, with the same instructions, so under the same monitors and with the same memory
 * effects ({@code long} and {@code double} included).
 *
 * <pre>{@code
 * public final class Account$$Shadow$audits {
 *     public [volatile] int value;
 *     public Account$$Shadow$audits() { value = <initial value>; }
 *     public static Account$$Shadow$audits of(Object owner) {       // of() for a static field
 *         return (Account$$Shadow$audits) Shadow.getOrAttach(owner, ID, Account$$Shadow$audits::new);
 *     }
 * }
 * }</pre>
 *
 * {@code Shadow.getOrAttach} makes the holder at most once per object, also when threads race for
 * it, so every thread writes the same holder: no update is lost that the new build would keep.
 * The class depends only on the field, so the next build of the same fix writes the very same
 * class (which a class loader accepts again, see {@code CarriedClasses}).
 */
final class ShadowBoxWriter {

    static final String FIELD = "value";
    private static final String SHADOW = "io/jlivepatch/Shadow";
    private static final Handle METAFACTORY = new Handle(Opcodes.H_INVOKESTATIC, "java/lang/invoke/LambdaMetafactory",
            "metafactory", "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;"
            + "Ljava/lang/invoke/MethodType;Ljava/lang/invoke/MethodHandle;Ljava/lang/invoke/MethodType;)"
            + "Ljava/lang/invoke/CallSite;", false);

    private ShadowBoxWriter() {
    }

    /** The descriptor of the holder's {@code of}: the owning object for an instance field, nothing for a static one. */
    static String ofDescriptor(AddedField f) {
        return (f.isStatic() ? "()" : "(Ljava/lang/Object;)") + "L" + f.boxName() + ";";
    }

    static byte[] write(AddedField f) {
        String self = f.boxName();
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER | Opcodes.ACC_SYNTHETIC, self,
                null, "java/lang/Object", null);
        FieldVisitor fv = cw.visitField(Opcodes.ACC_PUBLIC | (f.isVolatile() ? Opcodes.ACC_VOLATILE : 0), FIELD,
                f.desc(), null, null);
        fv.visitEnd();

        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        AddedField.Initial initial = f.initial();
        if (initial != null && (initial.constant() != null || initial.newType() != null)) {
            init.visitVarInsn(Opcodes.ALOAD, 0);
            if (initial.newType() != null) {
                init.visitTypeInsn(Opcodes.NEW, initial.newType());
                init.visitInsn(Opcodes.DUP);
                init.visitMethodInsn(Opcodes.INVOKESPECIAL, initial.newType(), "<init>", "()V", false);
            } else {
                init.visitLdcInsn(initial.constant());
            }
            init.visitFieldInsn(Opcodes.PUTFIELD, self, FIELD, f.desc());
        }
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();

        MethodVisitor of = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "of", ofDescriptor(f), null, null);
        of.visitCode();
        if (f.isStatic()) {
            of.visitLdcInsn(Type.getObjectType(f.owner())); // the Class object: loaded, not initialized
        } else {
            of.visitVarInsn(Opcodes.ALOAD, 0);
        }
        of.visitLdcInsn(f.id());
        of.visitInvokeDynamicInsn("get", "()Ljava/util/function/Supplier;", METAFACTORY,
                Type.getMethodType("()Ljava/lang/Object;"),
                new Handle(Opcodes.H_NEWINVOKESPECIAL, self, "<init>", "()V", false),
                Type.getMethodType("()L" + self + ";"));
        of.visitMethodInsn(Opcodes.INVOKESTATIC, SHADOW, "getOrAttach",
                "(Ljava/lang/Object;JLjava/util/function/Supplier;)Ljava/lang/Object;", false);
        of.visitTypeInsn(Opcodes.CHECKCAST, self);
        of.visitInsn(Opcodes.ARETURN);
        of.visitMaxs(0, 0);
        of.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
