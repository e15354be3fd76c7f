import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.ProtectionDomain;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * A reproducer without jlivepatch (session 24, README Known limits): does a MethodHandle held and
 * called many times follow the retransformations of its method? A transformer adds, or leaves out,
 * a prologue 'StaleMethodHandle.prologue()' at the start of T.f(int) in turn (what a patch's enable
 * and disable do to a method); each cycle calls f 50 times through a handle obtained once, and counts
 * the calls that ran the prologue while it was in.
 *
 * <p>Options: -Dwarm=N calls the handle N times before the first retransformation; -Dfresh=true
 * resolves a new handle of f (findStatic) after each retransformation, as any code that looks the
 * method up again does. Seen 2026-12-04, cycles where the held handle missed the prologue in some of
 * its 50 calls while a direct call ran it:
 * <pre>
 *                                         JDK 17.0.15     JDK 25.0.3
 * 2000 cycles, default JIT                0               18
 * 2000 cycles, -XX:TieredStopAtLevel=1    1996            1994
 * 2000 cycles, -Dfresh=true               18              1131
 * 100 cycles, -Dwarm=200000               0               0
 * 100, -Dwarm=200000, TieredStopAtLevel=1 0               100
 * 100, -Dfresh=true, TieredStopAtLevel=1  96              96
 * any of these with -Djava.lang.invoke.MethodHandle.CUSTOMIZE_THRESHOLD=-1, or -Xint: 0
 * </pre>
 * The JDK compiles a handle that is called often enough for that one handle (it "customizes" its
 * lambda form, with the target method as a constant); that compiled code keeps calling the version of
 * the method it was made with after the method is retransformed. Without customization the handle
 * follows every retransformation. StaleReflectiveCall (JDK 25: core reflection calls through a method
 * handle since JDK 18) is the same kind, not removed by that option: 496 and 497 of 1000 cycles with
 * -XX:TieredStopAtLevel=1, without and with it; the accessor's handle is a constant of the accessor,
 * compiled in without customization.
 *
 * <pre>
 * ASM=~/.m2/repository/org/ow2/asm/asm/9.9/asm-9.9.jar
 * BB=~/.m2/repository/net/bytebuddy/byte-buddy-agent/1.18.13/byte-buddy-agent-1.18.13.jar
 * javac -cp $ASM:$BB -d /tmp/smh benchmarks/jdk-issues/StaleMethodHandle.java
 * java -XX:+EnableDynamicAgentLoading -Djdk.attach.allowAttachSelf=true -Dwarm=200000 -cp $ASM:$BB:/tmp/smh StaleMethodHandle 100
 * </pre>
 */
public class StaleMethodHandle {
    public static class T {
        public static int f(int x) {
            return x * 3;
        }
    }

    static volatile boolean withPrologue;
    static int prologues;

    public static void prologue() {
        prologues++;
    }

    public static void main(String[] a) throws Throwable {
        Instrumentation inst = net.bytebuddy.agent.ByteBuddyAgent.install();
        inst.addTransformer(new ClassFileTransformer() {
            @Override
            public byte[] transform(ClassLoader l, String name, Class<?> c, ProtectionDomain pd, byte[] b) {
                if (!"StaleMethodHandle$T".equals(name) || !withPrologue) {
                    return null; // retransformation starts from the class as loaded: no prologue
                }
                ClassReader r = new ClassReader(b);
                ClassWriter w = new ClassWriter(r, 0);
                r.accept(new ClassVisitor(Opcodes.ASM9, w) {
                    @Override
                    public MethodVisitor visitMethod(int acc, String n, String d, String s, String[] e) {
                        MethodVisitor mv = super.visitMethod(acc, n, d, s, e);
                        return !n.equals("f") ? mv : new MethodVisitor(Opcodes.ASM9, mv) {
                            @Override
                            public void visitCode() {
                                super.visitCode();
                                super.visitMethodInsn(Opcodes.INVOKESTATIC, "StaleMethodHandle", "prologue", "()V", false);
                            }
                        };
                    }
                }, 0);
                return w.toByteArray();
            }
        }, true);
        MethodType type = MethodType.methodType(int.class, int.class);
        MethodHandle held = MethodHandles.lookup().findStatic(T.class, "f", type);
        long sum = 0;
        for (int i = 0; i < Integer.getInteger("warm", 0); i++) {
            sum += (int) held.invokeExact(i);
        }
        boolean fresh = Boolean.getBoolean("fresh");
        int cycles = Integer.parseInt(a[0]);
        int missed = 0;
        for (int cycle = 1; cycle <= cycles; cycle++) {
            withPrologue = true;
            inst.retransformClasses(T.class);
            if (fresh) {
                MethodHandles.lookup().findStatic(T.class, "f", type);
            }
            int before = prologues;
            for (int i = 0; i < 50; i++) {
                sum += (int) held.invokeExact(i);
            }
            int ran = prologues - before;
            before = prologues;
            T.f(1);
            boolean direct = prologues - before == 1;
            if (ran != 50) {
                if (missed++ < 3) {
                    System.out.println("cycle " + cycle + ": the held handle ran the prologue in " + ran + " of 50 calls;"
                            + " a direct call " + (direct ? "ran it" : "did not"));
                }
            }
            withPrologue = false;
            inst.retransformClasses(T.class);
            for (int i = 0; i < 50; i++) {
                sum += (int) held.invokeExact(i);
            }
        }
        System.out.println(System.getProperty("java.version") + ": " + missed + " of " + cycles
                + " cycles where the held handle missed the prologue (" + sum + ")");
    }
}
