package io.jlivepatch.internal.build;

import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The changed functions whose new version calls itself. Its replacement keeps the call, which enters
 * the method's hook and runs the replacement again: the new build's own recursion, as after a restart,
 * and what the differential test checks. Said all the same (a warning, never a refusal), since the
 * same call in a hand-written replacement is the mistake that {@code @Next} avoids (core's ReplacesScanner),
 * and an author who meant the old code there must write the replacement by hand.
 */
final class SelfCallingFunctions {

    private SelfCallingFunctions() {
    }

    /** One line per changed function of {@code diff} whose new code calls it directly. */
    static List<String> warnings(BuildDiff.Result diff) {
        List<String> out = new ArrayList<>();
        for (BuildDiff.ClassChange c : diff.changes()) {
            for (MethodNode m : c.changed()) {
                if ((m.access & Opcodes.ACC_ABSTRACT) == 0 && callsItself(c.name(), m)) {
                    out.add(warning(BuildDiff.dotted(c.name()), m));
                }
            }
        }
        return out;
    }

    static String warning(String cls, MethodNode m) {
        return cls + "." + m.name + m.desc + " calls itself: its replacement (" + cls + NestmateWriter.SUFFIX + "."
                + m.name + ") runs again at each such call, as the new build's recursion does, never the old code;"
                + " to call the old code there instead, write the replacement by hand with a last parameter"
                + " '@Next MethodHandle next'";
    }

    /** Whether {@code m}, a method of class {@code owner} (internal name), calls itself in its own code. */
    static boolean callsItself(String owner, MethodNode m) {
        for (AbstractInsnNode i = m.instructions.getFirst(); i != null; i = i.getNext()) {
            if (i instanceof MethodInsnNode call && call.owner.equals(owner) && call.name.equals(m.name)
                    && call.desc.equals(m.desc)) {
                return true;
            }
        }
        return false;
    }
}
