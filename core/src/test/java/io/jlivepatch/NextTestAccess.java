package io.jlivepatch;
/** NextTest's rewriting of a class file's string constants, for other tests. */
final class NextTestAccess {
    static byte[] replace(byte[] classFile, String from, String to) {
        org.objectweb.asm.ClassReader r = new org.objectweb.asm.ClassReader(classFile);
        org.objectweb.asm.ClassWriter w = new org.objectweb.asm.ClassWriter(r, 0);
        r.accept(new org.objectweb.asm.ClassVisitor(org.objectweb.asm.Opcodes.ASM9, w) {
            @Override
            public org.objectweb.asm.MethodVisitor visitMethod(int access, String name, String descriptor,
                                                               String signature, String[] exceptions) {
                return new org.objectweb.asm.MethodVisitor(org.objectweb.asm.Opcodes.ASM9,
                        super.visitMethod(access, name, descriptor, signature, exceptions)) {
                    @Override
                    public void visitLdcInsn(Object value) {
                        super.visitLdcInsn(from.equals(value) ? to : value);
                    }
                };
            }
        }, 0);
        return w.toByteArray();
    }
}
