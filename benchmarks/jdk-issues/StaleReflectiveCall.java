import java.lang.instrument.*;
import java.lang.reflect.Method;
import java.security.ProtectionDomain;
import org.objectweb.asm.*;

/**
 * A reproducer without jlivepatch (issue 14): does a {@link Method} obtained once follow the
 * retransformations of its method? A transformer alternates {@code T.m()}'s body between
 * {@code return 1} and {@code return 2}; after each retransformation the program calls m() directly,
 * through the cached Method, and through a Method obtained anew, and counts the cycles where the
 * cached one answers differently.
 *
 * <p>Seen 2026-12-01: JDK 25.0.3 (Temurin), default JIT, 1000 cycles, five runs: 37, 0, 16, 39 and 97
 * cycles (from about cycle 110 on) where the cached Method ran the previous version while the direct
 * call and a new Method ran the current one; with -Xint (400 cycles), and on JDK 17.0.15, none.
 *
 * <pre>
 * ASM=~/.m2/repository/org/ow2/asm/asm/9.10.1/asm-9.10.1.jar
 * BB=~/.m2/repository/net/bytebuddy/byte-buddy-agent/1.18.13/byte-buddy-agent-1.18.13.jar
 * javac -cp $ASM:$BB -d /tmp/stale benchmarks/jdk-issues/StaleReflectiveCall.java
 * java -XX:+EnableDynamicAgentLoading -Djdk.attach.allowAttachSelf=true -cp $ASM:$BB:/tmp/stale StaleReflectiveCall 1000
 * </pre>
 */
public class StaleReflectiveCall {
    public static class T { public static int m() { return 0; } }
    static volatile int want = 1; static int mismatches;
    public static void main(String[] a) throws Exception {
        Instrumentation inst = net.bytebuddy.agent.ByteBuddyAgent.install();
        inst.addTransformer(new ClassFileTransformer() {
            public byte[] transform(ClassLoader l, String name, Class<?> c, ProtectionDomain pd, byte[] b) {
                if (!"StaleReflectiveCall$T".equals(name)) return null;
                ClassReader r = new ClassReader(b);
                ClassWriter w = new ClassWriter(r, ClassWriter.COMPUTE_MAXS);
                r.accept(new ClassVisitor(Opcodes.ASM9, w) {
                    public MethodVisitor visitMethod(int acc, String n, String d, String s, String[] e) {
                        MethodVisitor mv = super.visitMethod(acc, n, d, s, e);
                        if (!n.equals("m")) return mv;
                        return new MethodVisitor(Opcodes.ASM9, mv) {
                            public void visitInsn(int op) {
                                if (op == Opcodes.ICONST_0) { super.visitIntInsn(Opcodes.BIPUSH, want); } else super.visitInsn(op);
                            }
                        };
                    }
                }, 0);
                return w.toByteArray();
            }
        }, true);
        Method cached = T.class.getMethod("m");
        int cycles = Integer.parseInt(a[0]);
        for (int i = 1; i <= cycles; i++) {
            want = (i % 2 == 0) ? 2 : 1;
            inst.retransformClasses(T.class);
            int direct = T.m();
            int refl = (int) cached.invoke(null);
            int fresh = (int) T.class.getMethod("m").invoke(null);
            for (int k = 0; k < 50; k++) cached.invoke(null);
            if (refl != direct || fresh != direct) {
                if (mismatches < 3) System.out.println("cycle " + i + ": direct " + direct + " cached Method " + refl + " fresh Method " + fresh);
                mismatches++;
            }
            if (i % 100 == 0) System.gc();
        }
        System.out.println(mismatches + " cycles of " + cycles + " where a Method obtained once ran another version");
    }
}
