package coexist.bad;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;

/**
 * An agent that adds a method to {@code coexist.app.Pricing} on retransformation only (not when
 * the class is defined), with the application's own ASM: a schema change the JVM refuses, so no
 * retransformation of Pricing can succeed while this agent is there. It says so on stderr with
 * the prefix {@code [adding-agent]} each time.
 */
public final class AddingAgent {

    private AddingAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
        inst.addTransformer(new Adder(), true);
    }

    private static final class Adder implements ClassFileTransformer {
        @Override
        public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                                ProtectionDomain domain, byte[] classFile) {
            if (redefined == null || !"coexist/app/Pricing".equals(name)) {
                return null;
            }
            System.err.println("[adding-agent] adds a method to " + name);
            ClassReader reader = new ClassReader(classFile);
            ClassWriter writer = new ClassWriter(reader, 0);
            reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
                @Override
                public void visitEnd() {
                    MethodVisitor m = super.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "added$byAgent",
                            "()I", null, null);
                    m.visitCode();
                    m.visitInsn(Opcodes.ICONST_1);
                    m.visitInsn(Opcodes.IRETURN);
                    m.visitMaxs(1, 0);
                    m.visitEnd();
                    super.visitEnd();
                }
            }, 0);
            return writer.toByteArray();
        }
    }
}
