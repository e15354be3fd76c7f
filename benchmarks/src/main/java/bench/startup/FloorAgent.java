package bench.startup;

import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.jar.JarFile;

/**
 * The least an agent can do to apply start-up patch JARs with ASM, as the floor that
 * {@code io.jlivepatch.bench.StartupCost} sets beside jlivepatch ({@code floorAgentNoPatches},
 * {@code floorAgentOnePatch}, {@code floorAgentTenPatches}): for each JAR of the directory it is given, it
 * reads the manifest's {@code Livepatch-Class}, finds that class's {@code @Replaces} methods with ASM,
 * appends the JAR to the system class path and loads and links the patch class before {@code main}, as
 * jlivepatch does; one transformer then rewrites each target class as it loads, so that every replaced
 * method starts with a direct call of its replacement and returns its result.
 *
 * <p>What it leaves out is what jlivepatch does beyond the redirect: no check of the JAR (limits,
 * signatures, class-file checks, references), no class loader of the patch's own, no dispatch (a
 * patch can never be disabled or removed), no transition, no log line, audit record or status, no
 * recursion guard, no control socket. Static target methods whose code starts without a stack map
 * frame only, which is all the benchmark's application has. No lambdas: a first lambda costs a cold
 * JVM milliseconds.
 */
public final class FloorAgent {

    private FloorAgent() {
    }

    public static void premain(String args, Instrumentation inst) throws IOException, ClassNotFoundException {
        // target class (internal name) -> method name + descriptor -> replacement's class (internal name)
        Map<String, Map<String, String>> redirects = new HashMap<>();
        File[] jars = new File(args).listFiles();
        Arrays.sort(jars);
        for (File file : jars) {
            if (!file.getName().endsWith(".jar")) {
                continue;
            }
            String fix;
            try (JarFile jar = new JarFile(file)) {
                fix = jar.getManifest().getMainAttributes().getValue("Livepatch-Class");
                byte[] bytes;
                try (InputStream in = jar.getInputStream(jar.getJarEntry(fix.replace('.', '/').concat(".class")))) {
                    bytes = in.readAllBytes();
                }
                new ClassReader(bytes).accept(new ReplacesReader(fix.replace('.', '/'), redirects),
                        ClassReader.SKIP_CODE);
                inst.appendToSystemClassLoaderSearch(jar); // the JVM keeps the path, not this JarFile
            }
            // Loaded and linked (initialized: it has no static initializer) before main, as jlivepatch
            // defines and links a patch's classes: left to the first call, that work would fall after
            // the clock stops at main.
            Class.forName(fix, true, ClassLoader.getSystemClassLoader());
        }
        inst.addTransformer(new Redirect(redirects));
    }

    /** Collects the {@code @Replaces} methods of one patch class. */
    private static final class ReplacesReader extends ClassVisitor {

        private final String fix;
        private final Map<String, Map<String, String>> redirects;

        ReplacesReader(String fix, Map<String, Map<String, String>> redirects) {
            super(Opcodes.ASM9);
            this.fix = fix;
            this.redirects = redirects;
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                         String[] exceptions) {
            return new MethodVisitor(Opcodes.ASM9) {
                @Override
                public AnnotationVisitor visitAnnotation(String annotation, boolean visible) {
                    if (!annotation.equals("Lio/jlivepatch/Replaces;")) {
                        return null;
                    }
                    return new AnnotationVisitor(Opcodes.ASM9) {
                        private String target;
                        private String method;
                        private String targetDescriptor;

                        @Override
                        public void visit(String key, Object value) {
                            switch (key) {
                                case "target": target = ((String) value).replace('.', '/'); break;
                                case "method": method = (String) value; break;
                                case "descriptor": targetDescriptor = (String) value; break;
                                default: break;
                            }
                        }

                        @Override
                        public void visitEnd() {
                            Map<String, String> methods = redirects.get(target);
                            if (methods == null) {
                                methods = new HashMap<>();
                                redirects.put(target, methods);
                            }
                            // the replacement has the target's name and descriptor (a static target)
                            methods.put(method.concat(targetDescriptor), fix);
                        }
                    };
                }
            };
        }
    }

    /** Rewrites a target class as it loads: each replaced method returns its replacement's result first thing. */
    private static final class Redirect implements ClassFileTransformer {

        private final Map<String, Map<String, String>> redirects;

        Redirect(Map<String, Map<String, String>> redirects) {
            this.redirects = redirects;
        }

        @Override
        public byte[] transform(ClassLoader loader, String className, Class<?> redefined, ProtectionDomain domain,
                                byte[] bytes) {
            Map<String, String> methods = className == null ? null : redirects.get(className);
            if (methods == null) {
                return null;
            }
            ClassReader reader = new ClassReader(bytes);
            ClassWriter writer = new ClassWriter(reader, 0);
            reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                                 String[] exceptions) {
                    MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
                    String fix = methods.get(name.concat(descriptor));
                    if (fix == null || (access & Opcodes.ACC_STATIC) == 0) {
                        return mv; // a static target only: the replacement takes the same arguments
                    }
                    return new MethodVisitor(Opcodes.ASM9, mv) {
                        @Override
                        public void visitCode() {
                            super.visitCode();
                            int slot = 0;
                            for (Type t : Type.getArgumentTypes(descriptor)) {
                                super.visitVarInsn(t.getOpcode(Opcodes.ILOAD), slot);
                                slot += t.getSize();
                            }
                            super.visitMethodInsn(Opcodes.INVOKESTATIC, fix, name, descriptor, false);
                            super.visitInsn(Type.getReturnType(descriptor).getOpcode(Opcodes.IRETURN));
                            // the method's own code follows a return: it starts with the method's first frame
                            super.visitFrame(Opcodes.F_SAME, 0, null, 0, null);
                        }

                        @Override
                        public void visitMaxs(int maxStack, int maxLocals) {
                            super.visitMaxs(Math.max(maxStack, redirectStack(descriptor)), maxLocals);
                        }
                    };
                }
            }, 0);
            return writer.toByteArray();
        }

        /** The operand stack the redirect needs: the arguments going in, the result coming back. */
        private static int redirectStack(String descriptor) {
            int sizes = Type.getArgumentsAndReturnSizes(descriptor);
            return Math.max((sizes >> 2) - 1, sizes & 3); // the argument sizes count an implicit this
        }
    }
}
