package io.jlivepatch.internal.build;

import io.jlivepatch.Patch;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks {@code --hold} against the new build: a held class the build holds must declare the
 * method, with code, and the method must not be one the patch replaces. A class from elsewhere
 * (a library, the JDK) is checked when the patch is loaded.
 */
final class HeldMethods {

    private HeldMethods() {
    }

    static List<String> problems(List<Patch.Hold> holds, ClassSet newBuild, List<String> changedFunctions) {
        List<String> problems = new ArrayList<>();
        for (Patch.Hold h : holds) {
            if (changedFunctions.contains(h.target())) {
                problems.add("held method " + h.target() + ": the patch replaces it, which holds a thread already;"
                        + " drop --hold for it");
                continue;
            }
            byte[] bytes = newBuild.classes().get(h.className().replace('.', '/'));
            if (bytes == null) {
                continue;
            }
            int[] access = {-1};
            new ClassReader(bytes).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int acc, String name, String desc, String signature, String[] exceptions) {
                    if (name.equals(h.methodName()) && desc.equals(h.descriptor())) {
                        access[0] = acc;
                    }
                    return null;
                }
            }, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
            if (access[0] < 0) {
                problems.add("held method " + h.target() + ": " + h.className() + " of the new build does not declare"
                        + " it; check the name and the descriptor (--hold class.method(descriptor))");
            } else if ((access[0] & Opcodes.ACC_ABSTRACT) != 0) {
                problems.add("held method " + h.target() + ": it is abstract and so never on a stack; hold its"
                        + " implementations instead");
            }
        }
        return problems;
    }
}
