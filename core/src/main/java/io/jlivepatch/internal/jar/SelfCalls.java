package io.jlivepatch.internal.jar;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds the replacements that call the very method they replace. Such a call enters the method's
 * hook again and runs the replacement again, not the original: at every call, a recursion that ends
 * in a {@code StackOverflowError}, where the author meant the original code, which {@code @Next}
 * gives. Only a warning: the replacement of a recursive method may mean exactly that (each level
 * runs the new version). Read from the class files, as {@link ReplacesScanner} reads the annotations,
 * so that the command (before anything is sent) and the target's load say the same.
 *
 * <p>What it sees: a direct call in the replacement's own code, of the target's name and descriptor
 * (as given, or read from the replacement's own: its parameters less the receiver and {@code @Next}),
 * on the target class, or for an instance method on the receiver parameter's type. Not a call made in a
 * lambda or another method the replacement calls, nor through reflection or a method handle.
 */
public final class SelfCalls {

    private SelfCalls() {
    }

    /**
     * One warning line per replacement of {@code entries} that calls its target; empty when none does,
     * and for a JAR {@code jlivepatch build} made ({@link PatchJar#NEW_BUILD} in its manifest): there such a
     * call is the new build's own recursion, which the patch keeps as a restart would (each level runs
     * the new version), and the build has said so in its own words.
     */
    public static List<String> warnings(PatchJar jar, List<ReplacesScanner.Entry> entries) {
        if (jar.builds().containsKey(PatchJar.NEW_BUILD)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (ReplacesScanner.Entry e : entries) {
            byte[] bytes = jar.classes().get(e.patchClass().replace('.', '/'));
            if (bytes != null && callsItsTarget(bytes, e)) {
                out.add(warning(e.patchClass() + "." + e.replacement(), e.target() + "." + e.method()
                        + (e.descriptor().isEmpty() ? "" : e.descriptor())));
            }
        }
        return out;
    }

    /** The warning for {@code replacement} (class.method) calling {@code target}, the method it replaces. */
    static String warning(String replacement, String target) {
        return replacement + " calls " + target + ", the method it replaces: that call runs the replacement again,"
                + " not the original (a StackOverflowError, unless it recurses on purpose); to call the original,"
                + " give it a last parameter '@Next MethodHandle next' and invoke that";
    }

    /** Whether {@code e}'s replacement, in class file {@code bytes}, calls its target directly. */
    static boolean callsItsTarget(byte[] bytes, ReplacesScanner.Entry e) {
        Type[] args = Type.getArgumentTypes(e.replacementDesc());
        if (e.next()) {
            args = Arrays.copyOf(args, args.length - 1); // @Next: not one of the target's
        }
        Type ret = Type.getReturnType(e.replacementDesc());
        String target = e.target().replace('.', '/');
        // Without a descriptor the target may be static (every parameter its own) or an instance
        // method (the first parameter its receiver): both readings count.
        String asStatic = e.descriptor().isEmpty() ? Type.getMethodDescriptor(ret, args) : e.descriptor();
        String asInstance = args.length == 0 ? null : e.descriptor().isEmpty()
                ? Type.getMethodDescriptor(ret, Arrays.copyOfRange(args, 1, args.length)) : e.descriptor();
        String receiver = args.length > 0 && args[0].getSort() == Type.OBJECT ? args[0].getInternalName() : null;
        boolean[] found = {false};
        try {
            new ClassReader(bytes).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                                 String[] exceptions) {
                    if (!name.equals(e.replacement()) || !descriptor.equals(e.replacementDesc())) {
                        return null;
                    }
                    return new MethodVisitor(Opcodes.ASM9) {
                        @Override
                        public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
                            if (!method.equals(e.method())) {
                                return;
                            }
                            if (opcode == Opcodes.INVOKESTATIC) {
                                found[0] |= owner.equals(target) && desc.equals(asStatic);
                            } else if (opcode == Opcodes.INVOKEVIRTUAL || opcode == Opcodes.INVOKEINTERFACE) {
                                found[0] |= (owner.equals(target) || owner.equals(receiver)) && desc.equals(asInstance);
                            }
                        }
                    };
                }
            }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        } catch (RuntimeException | StackOverflowError unreadable) {
            return false; // a class file ASM cannot read is refused by the checks; this is only a hint
        }
        return found[0];
    }
}
