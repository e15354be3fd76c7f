package io.jlivepatch.internal.build;

import org.objectweb.asm.Attribute;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Reads one class file whole, as every later step of the build will, and says what in it no JVM
 * would take: ASM reads a constant of another kind than an instruction needs as {@code null} or as
 * any text, and a bad descriptor passes its reader, to fail only when the patch class is written
 * (a {@code StringIndexOutOfBoundsException} of ASM's writer, or a {@code NullPointerException} of the
 * comparison). Checked here, the build is refused naming the entry, before anything is compared.
 */
final class ClassFileCheck {

    /** The class's name as it declares it, and the first problem found ({@code null}: none). */
    record Result(String declared, String problem) {
    }

    private String problem;

    private ClassFileCheck() {
    }

    /**
     * @throws RuntimeException what ASM throws at a class file it cannot read (cut short, an index
     *                          out of the pool, an unsupported version)
     */
    static Result read(byte[] bytes) {
        ClassReader reader = new ClassReader(bytes);
        ClassFileCheck check = new ClassFileCheck();
        reader.accept(check.new Classes(), 0);
        return new Result(reader.getClassName(), check.problem);
    }

    private void found(String p) {
        if (problem == null && p != null) {
            problem = p;
        }
    }

    private void attribute(Attribute a) {
        if (a.type == null) {
            found("an attribute has no name (its name is a constant of another kind)");
        }
    }

    private final class Classes extends ClassVisitor {
        Classes() {
            super(Opcodes.ASM9);
        }

        @Override
        public void visit(int version, int access, String name, String signature, String superName,
                          String[] interfaces) {
            if (superName != null && !ClassNames.isClassOrArray(superName)) {
                found("its superclass " + ClassNames.quoted(superName) + " is no class");
            }
            for (String i : interfaces == null ? new String[0] : interfaces) {
                if (!ClassNames.isClassOrArray(i)) {
                    found("its interface " + ClassNames.quoted(String.valueOf(i)) + " is no class");
                }
            }
        }

        @Override
        public void visitAttribute(Attribute attribute) {
            attribute(attribute);
        }

        @Override
        public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
            found(ClassNames.memberProblem("field", name, descriptor, false));
            return new FieldVisitor(Opcodes.ASM9) {
                @Override
                public void visitAttribute(Attribute attribute) {
                    attribute(attribute);
                }
            };
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                         String[] exceptions) {
            found(ClassNames.memberProblem("method", name, descriptor, true));
            String method = "method " + ClassNames.quoted(String.valueOf(name))
                    + ClassNames.quoted(String.valueOf(descriptor));
            return new Code(method);
        }
    }

    /** A method's code: every reference an instruction makes, as the JVM would resolve it. */
    private final class Code extends MethodVisitor {
        private final String method;

        Code(String method) {
            super(Opcodes.ASM9);
            this.method = method;
        }

        @Override
        public void visitAttribute(Attribute attribute) {
            attribute(attribute);
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
            found(ClassNames.referenceProblem(method + ": a call", owner, name, descriptor, true));
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
            found(ClassNames.referenceProblem(method + ": a field access", owner, name, descriptor, false));
        }

        @Override
        public void visitTypeInsn(int opcode, String type) {
            if (!ClassNames.isClassOrArray(type)) {
                found(method + ": an instruction names " + ClassNames.quoted(String.valueOf(type))
                        + ", which is no class");
            }
        }

        @Override
        public void visitMultiANewArrayInsn(String descriptor, int dims) {
            if (!ClassNames.isFieldDescriptor(descriptor)) {
                found(method + ": a new array of " + ClassNames.quoted(String.valueOf(descriptor))
                        + ", which is no type");
            }
        }

        @Override
        public void visitTryCatchBlock(org.objectweb.asm.Label start, org.objectweb.asm.Label end,
                                       org.objectweb.asm.Label handler, String type) {
            if (type != null && !ClassNames.isClassOrArray(type)) {
                found(method + ": a handler catches " + ClassNames.quoted(type) + ", which is no class");
            }
        }

        @Override
        public void visitInvokeDynamicInsn(String name, String descriptor, Handle bsm, Object... args) {
            if (!ClassNames.isMethodDescriptor(descriptor) || !handle(bsm)) {
                found(method + ": an invokedynamic names constants of other kinds than a call site's");
            }
            for (Object a : args) {
                constant(a);
            }
        }

        @Override
        public void visitLdcInsn(Object value) {
            constant(value);
        }

        private void constant(Object value) {
            boolean ok;
            if (value instanceof Type t) {
                ok = t.getSort() == Type.METHOD ? ClassNames.isMethodDescriptor(t.getDescriptor())
                        : ClassNames.isClassOrArray(t.getInternalName());
            } else if (value instanceof Handle h) {
                ok = handle(h);
            } else if (value instanceof ConstantDynamic c) {
                ok = ClassNames.isFieldDescriptor(c.getDescriptor()) && handle(c.getBootstrapMethod());
            } else {
                ok = value != null;
            }
            if (!ok) {
                found(method + ": a constant it loads is of another kind, or names no type");
            }
        }

        private boolean handle(Handle h) {
            return h != null && ClassNames.isClassOrArray(h.getOwner()) && h.getName() != null
                    && (h.getTag() <= Opcodes.H_PUTSTATIC ? ClassNames.isFieldDescriptor(h.getDesc())
                    : ClassNames.isMethodDescriptor(h.getDesc()));
        }
    }
}
