package io.jlivepatch.internal.build;

import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.TypePath;

import java.util.HashSet;
import java.util.Set;

/**
 * Writes the class that carries a patched class's new code: {@code Host$$Livepatch}, defined at
 * load time as a hidden nestmate of the running {@code Host}, so that the new code reads and writes
 * private fields and calls private methods directly, with no reflection. Each changed or added
 * method becomes a {@code public static} method whose first parameter is the receiver: local 0 is
 * {@code this} either way, so the bytecode, its locals and its stack map frames stay as compiled.
 * What a nestmate cannot do is rewritten:
 *
 * <ul>
 *   <li>{@code super.m()} ({@code invokespecial} on a supertype): an {@code invokedynamic} resolved
 *       once with the host's lookup ({@code Dispatch.invokeSpecial});</li>
 *   <li>{@code invokespecial} of the host's private methods (class files before Java 11):
 *       {@code invokevirtual}, which nestmates may use;</li>
 *   <li>calls and method references to methods the new build adds: to their copies here;</li>
 *   <li>reads and writes of fields the new build adds: to their shadow variables ({@link ShadowFields}).</li>
 * </ul>
 *
 * A changed {@code synchronized} method runs inside the original, which holds the monitor; an
 * added one gets a {@link SynchronizedWrapper} that takes it.
 */
final class NestmateWriter {

    static final String SUFFIX = "$$Livepatch";
    private static final String REPLACES = "Lio/jlivepatch/Replaces;";
    private static final Handle INVOKE_SPECIAL = new Handle(Opcodes.H_INVOKESTATIC,
            "io/jlivepatch/internal/bootstrap/Dispatch", "invokeSpecial",
            "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;"
                    + "Ljava/lang/Class;Ljava/lang/Class;)Ljava/lang/invoke/CallSite;", false);

    private static final Handle LAMBDA = new Handle(Opcodes.H_INVOKESTATIC,
            "io/jlivepatch/internal/bootstrap/Dispatch", "lambda",
            "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;"
                    + "Ljava/lang/invoke/MethodType;Ljava/lang/invoke/MethodHandle;Ljava/lang/invoke/MethodType;)"
                    + "Ljava/lang/invoke/CallSite;", false);
    private static final Handle ALT_LAMBDA = new Handle(Opcodes.H_INVOKESTATIC,
            "io/jlivepatch/internal/bootstrap/Dispatch", "altLambda",
            "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;"
                    + "[Ljava/lang/Object;)Ljava/lang/invoke/CallSite;", false);

    private static final Handle MEMBER = new Handle(Opcodes.H_INVOKESTATIC,
            "io/jlivepatch/internal/bootstrap/Dispatch", "member",
            "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;I"
                    + "Ljava/lang/Class;Ljava/lang/Class;)Ljava/lang/invoke/CallSite;", false);

    private NestmateWriter() {
    }

    static byte[] write(BuildDiff.ClassChange change, byte[] newClassFile, Inheritance inheritance,
                        ShadowFields shadows) {
        String host = change.name();
        String self = host + SUFFIX;
        Set<String> changed = new HashSet<>();
        change.changed().forEach(m -> changed.add(m.name + m.desc));
        Set<String> added = new HashSet<>();
        change.added().forEach(m -> added.add(m.name + m.desc));

        ClassWriter cw = new ClassWriter(0);
        cw.visit(Math.max(change.version(), Opcodes.V11), Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER
                | Opcodes.ACC_SYNTHETIC, self, null, "java/lang/Object", null);
        new ClassReader(newClassFile).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public void visitSource(String source, String debug) {
                cw.visitSource(source, debug);
            }

            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                String key = name + descriptor;
                boolean isChanged = changed.contains(key);
                if (!isChanged && !added.contains(key)) {
                    return null;
                }
                boolean isStatic = (access & Opcodes.ACC_STATIC) != 0;
                String desc = isStatic ? descriptor : withReceiver(host, descriptor);
                int flags = Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC | (access & Opcodes.ACC_VARARGS)
                        | (isChanged ? 0 : Opcodes.ACC_SYNTHETIC);
                if (!isChanged && (access & Opcodes.ACC_SYNCHRONIZED) != 0) {
                    // A static method here cannot be synchronized on the receiver (or the host class)
                    // itself: a wrapper holds that monitor around the body, as the new build's method did.
                    SynchronizedWrapper.write(cw, self, host, name, desc, isStatic, exceptions);
                    name = SynchronizedWrapper.bodyName(name);
                }
                MethodVisitor mv = cw.visitMethod(flags, name, desc, null, exceptions);
                if (isChanged) {
                    AnnotationVisitor av = mv.visitAnnotation(REPLACES, true);
                    av.visit("target", host.replace('/', '.'));
                    av.visit("method", name);
                    av.visit("descriptor", descriptor);
                    av.visitEnd();
                }
                return shadows.rewrite(new BodyRewriter(mv, host, self, added, change.isInterface(), inheritance));
            }
        }, 0);
        cw.visitEnd();
        return cw.toByteArray();
    }

    static String withReceiver(String host, String descriptor) {
        return "(L" + host + ";" + descriptor.substring(1);
    }

    /** Forwards a method body with the rewrites a hidden nestmate needs; drops what no longer fits. */
    private static final class BodyRewriter extends MethodVisitor {
        private final String host;
        private final String self;
        private final Set<String> added;
        private final boolean hostIsInterface;
        private final Inheritance inheritance;

        BodyRewriter(MethodVisitor mv, String host, String self, Set<String> added, boolean hostIsInterface,
                     Inheritance inheritance) {
            super(Opcodes.ASM9, mv);
            this.host = host;
            this.self = self;
            this.added = added;
            this.hostIsInterface = hostIsInterface;
            this.inheritance = inheritance;
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
            if (!inheritance.viaHost(owner, name, descriptor, true)) {
                super.visitFieldInsn(opcode, owner, name, descriptor);
                return;
            }
            String type;
            switch (opcode) {
                case Opcodes.GETFIELD: type = "(L" + owner + ";)" + descriptor; break;
                case Opcodes.PUTFIELD: type = "(L" + owner + ";" + descriptor + ")V"; break;
                case Opcodes.GETSTATIC: type = "()" + descriptor; break;
                default: type = "(" + descriptor + ")V"; break;
            }
            super.visitInvokeDynamicInsn(name, type, MEMBER, opcode, Type.getObjectType(owner), Type.getObjectType(host));
        }

        // Parameter indices shift by the receiver: the original's parameter metadata would mislead.
        @Override
        public void visitParameter(String name, int access) {
        }

        @Override
        public void visitAnnotableParameterCount(int parameterCount, boolean visible) {
        }

        @Override
        public AnnotationVisitor visitParameterAnnotation(int parameter, String descriptor, boolean visible) {
            return null;
        }

        @Override
        public AnnotationVisitor visitAnnotation(String descriptor, boolean visible) {
            return null; // the original's annotations describe the original
        }

        @Override
        public AnnotationVisitor visitTypeAnnotation(int typeRef, TypePath typePath, String descriptor, boolean visible) {
            return null;
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
            if (owner.equals(host) && added.contains(name + descriptor)) {
                String desc = opcode == Opcodes.INVOKESTATIC ? descriptor : withReceiver(host, descriptor);
                super.visitMethodInsn(Opcodes.INVOKESTATIC, self, name, desc, false);
            } else if (opcode == Opcodes.INVOKESPECIAL && !name.equals("<init>")) {
                if (owner.equals(host)) {
                    super.visitMethodInsn(isInterface ? Opcodes.INVOKEINTERFACE : Opcodes.INVOKEVIRTUAL, owner, name,
                            descriptor, isInterface);
                } else {
                    super.visitInvokeDynamicInsn(name, withReceiver(host, descriptor), INVOKE_SPECIAL,
                            Type.getObjectType(owner), Type.getObjectType(host));
                }
            } else if (opcode != Opcodes.INVOKESPECIAL && inheritance.viaHost(owner, name, descriptor, false)) {
                // an inherited member the nestmate may not reach itself (protected, other package)
                String type = opcode == Opcodes.INVOKESTATIC ? descriptor : "(L" + owner + ";" + descriptor.substring(1);
                super.visitInvokeDynamicInsn(name, type, MEMBER, opcode, Type.getObjectType(owner),
                        Type.getObjectType(host));
            } else {
                super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
            }
        }

        @Override
        public void visitInvokeDynamicInsn(String name, String descriptor, Handle bsm, Object... args) {
            Object[] rewritten = args.clone();
            boolean bodyHere = false;
            for (int i = 0; i < rewritten.length; i++) {
                rewritten[i] = constant(rewritten[i]);
                bodyHere |= rewritten[i] instanceof Handle && ((Handle) rewritten[i]).getOwner().equals(self);
            }
            if (bodyHere && bsm.getOwner().equals("java/lang/invoke/LambdaMetafactory")) {
                // The lambda's body is carried here, in a hidden class: see Dispatch.lambda.
                bsm = bsm.getName().equals("altMetafactory") ? ALT_LAMBDA : LAMBDA;
            }
            super.visitInvokeDynamicInsn(name, descriptor, bsm, rewritten);
        }

        @Override
        public void visitLdcInsn(Object value) {
            super.visitLdcInsn(constant(value));
        }

        private Object constant(Object c) {
            if (!(c instanceof Handle)) {
                return c;
            }
            Handle h = (Handle) c;
            if (!h.getOwner().equals(host)) {
                return h;
            }
            boolean instance = h.getTag() == Opcodes.H_INVOKEVIRTUAL || h.getTag() == Opcodes.H_INVOKESPECIAL
                    || h.getTag() == Opcodes.H_INVOKEINTERFACE;
            if (added.contains(h.getName() + h.getDesc())) {
                return new Handle(Opcodes.H_INVOKESTATIC, self, h.getName(),
                        instance ? withReceiver(host, h.getDesc()) : h.getDesc(), false);
            }
            if (h.getTag() == Opcodes.H_INVOKESPECIAL) {
                // a private method of the host (older javac): nestmates reach it virtually
                return new Handle(hostIsInterface ? Opcodes.H_INVOKEINTERFACE : Opcodes.H_INVOKEVIRTUAL, host,
                        h.getName(), h.getDesc(), hostIsInterface);
            }
            return h;
        }
    }
}
