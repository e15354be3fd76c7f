package io.jlivepatch.internal.jar;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Lambdas and method references a {@code Livepatch-Nestmates} class makes of its own methods. Before
 * JDK 23 (JDK-8330467) {@code LambdaMetafactory} spins a class that calls such a method by its
 * class's name, which a hidden class cannot be found by: the patched method would throw
 * {@code NoClassDefFoundError} at every call. {@code jlivepatch build} routes such lambdas through
 * {@code Dispatch.lambda}, which works on every JDK; a hand-made JAR does not.
 */
final class NestmateLambdas {

    /** Whether this JVM's LambdaMetafactory takes a hidden class's method. */
    static final boolean TAKES_HIDDEN = Runtime.version().feature() >= 23;

    private static final String LAMBDA_METAFACTORY = "java/lang/invoke/LambdaMetafactory";

    private NestmateLambdas() {
    }

    /**
     * The first method of {@code classFile} (class {@code internalName}) with a lambda or method
     * reference whose body is a method of that class, or null when it has none.
     */
    static String firstWithOwnBody(byte[] classFile, String internalName) {
        Finder finder = new Finder(internalName);
        new ClassReader(classFile).accept(finder, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return finder.found;
    }

    private static final class Finder extends ClassVisitor {
        private final String owner;
        String found;

        Finder(String owner) {
            super(Opcodes.ASM9);
            this.owner = owner;
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                         String[] exceptions) {
            return found != null ? null : new MethodVisitor(Opcodes.ASM9) {
                @Override
                public void visitInvokeDynamicInsn(String indyName, String indyDescriptor, Handle bootstrap,
                                                   Object... arguments) {
                    // metafactory and altMetafactory: the implementation is the second argument
                    if (found == null && LAMBDA_METAFACTORY.equals(bootstrap.getOwner()) && arguments.length > 1
                            && arguments[1] instanceof Handle && owner.equals(((Handle) arguments[1]).getOwner())) {
                        found = name;
                    }
                }
            };
        }
    }
}
