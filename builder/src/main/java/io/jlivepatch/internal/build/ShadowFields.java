package io.jlivepatch.internal.build;

import io.jlivepatch.internal.format.Normalized;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.ClassNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fields a build adds, and the rewriting of the code the patch carries so that it reaches them
 * through their shadow variables' holders ({@link ShadowBoxWriter}) instead of the running class,
 * which does not have them:
 *
 * <pre>
 * getfield  A.f : T        invokestatic A$$Shadow$f.of(Object); getfield A$$Shadow$f.value : T
 * putfield  A.f : T        (the holder of the object under the value, then) putfield A$$Shadow$f.value : T
 * getstatic A.f : T        invokestatic A$$Shadow$f.of(); getfield A$$Shadow$f.value : T
 * putstatic A.f : T        invokestatic A$$Shadow$f.of(); (under the value) putfield A$$Shadow$f.value : T
 * </pre>
 *
 * Each replaces one instruction within its basic block, so the stack map frames stay valid; the
 * stack grows by at most two slots.
 */
final class ShadowFields {

    private final Map<String, AddedField> byKey = new HashMap<>();
    private final ClassSet newBuild;
    private final Map<String, ClassNode> parsed = new HashMap<>();

    ShadowFields(List<AddedField> fields, ClassSet newBuild) {
        fields.forEach(f -> byKey.put(key(f.owner(), f.name(), f.desc()), f));
        this.newBuild = newBuild;
    }

    boolean isEmpty() {
        return byKey.isEmpty();
    }

    private static String key(String owner, String name, String desc) {
        return owner + "." + name + ":" + desc;
    }

    /**
     * The added field an access of {@code owner.name} resolves to, or null. javac names the static
     * type of the receiver as the owner, which may be a subclass of the class that declares the
     * field: resolution walks up the new build's superclasses as the JVM would, stopping at the
     * first class that declares a field of that name and type.
     */
    AddedField resolve(String owner, String name, String desc) {
        for (String c = owner; c != null; ) {
            AddedField f = byKey.get(key(c, name, desc));
            if (f != null) {
                return f;
            }
            byte[] file = newBuild.classes().get(c);
            if (file == null) {
                return null;
            }
            ClassNode node = parsed.computeIfAbsent(c, k -> Normalized.parse(file));
            if (node.fields.stream().anyMatch(x -> x.name.equals(name) && x.desc.equals(desc))) {
                return null;
            }
            c = node.superName;
        }
        return null;
    }

    /** {@code mv} with the accesses of added fields rewritten; {@code mv} itself when there are none. */
    MethodVisitor rewrite(MethodVisitor mv) {
        return isEmpty() ? mv : new Rewriter(mv);
    }

    /**
     * A carried class (one the new build adds) with its accesses of added fields rewritten, or the
     * very same bytes when it has none.
     */
    byte[] rewriteClass(byte[] classFile) {
        if (isEmpty()) {
            return classFile;
        }
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(reader, 0);
        boolean[] touched = {false};
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                return new Rewriter(super.visitMethod(access, name, descriptor, signature, exceptions)) {
                    @Override
                    void rewrote() {
                        touched[0] = true;
                    }
                };
            }
        }, 0);
        return touched[0] ? writer.toByteArray() : classFile;
    }

    private class Rewriter extends MethodVisitor {

        Rewriter(MethodVisitor mv) {
            super(Opcodes.ASM9, mv);
        }

        void rewrote() {
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
            AddedField f = resolve(owner, name, descriptor);
            if (f == null) {
                super.visitFieldInsn(opcode, owner, name, descriptor);
                return;
            }
            rewrote();
            String box = f.boxName();
            String of = ShadowBoxWriter.ofDescriptor(f);
            boolean wide = descriptor.equals("J") || descriptor.equals("D");
            switch (opcode) {
                case Opcodes.GETFIELD:   // obj -> box -> value
                case Opcodes.GETSTATIC:  // -> box -> value
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, box, "of", of, false);
                    super.visitFieldInsn(Opcodes.GETFIELD, box, ShadowBoxWriter.FIELD, descriptor);
                    break;
                case Opcodes.PUTFIELD:
                    if (wide) {       // obj v2 -> v2 obj v2 -> v2 obj -> v2 box -> box v2 box -> box v2
                        super.visitInsn(Opcodes.DUP2_X1);
                        super.visitInsn(Opcodes.POP2);
                        super.visitMethodInsn(Opcodes.INVOKESTATIC, box, "of", of, false);
                        super.visitInsn(Opcodes.DUP_X2);
                        super.visitInsn(Opcodes.POP);
                    } else {          // obj v -> v obj -> v box -> box v
                        super.visitInsn(Opcodes.SWAP);
                        super.visitMethodInsn(Opcodes.INVOKESTATIC, box, "of", of, false);
                        super.visitInsn(Opcodes.SWAP);
                    }
                    super.visitFieldInsn(Opcodes.PUTFIELD, box, ShadowBoxWriter.FIELD, descriptor);
                    break;
                default:              // PUTSTATIC: v -> v box -> box v
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, box, "of", of, false);
                    if (wide) {
                        super.visitInsn(Opcodes.DUP_X2);
                        super.visitInsn(Opcodes.POP);
                    } else {
                        super.visitInsn(Opcodes.SWAP);
                    }
                    super.visitFieldInsn(Opcodes.PUTFIELD, box, ShadowBoxWriter.FIELD, descriptor);
                    break;
            }
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            super.visitMaxs(maxStack + 2, maxLocals);
        }
    }
}
