package io.jlivepatch.internal.build;

import io.jlivepatch.internal.format.Normalized;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.IntInsnNode;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.LookupSwitchInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TableSwitchInsnNode;
import org.objectweb.asm.tree.TryCatchBlockNode;
import org.objectweb.asm.tree.TypeInsnNode;
import org.objectweb.asm.tree.VarInsnNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Finds the initial values of the fields a new build adds: what its constructors (for a static
 * field, its static initializer) assign to them, when that is a constant or a no-argument
 * {@code new}, the same in every constructor that does not delegate to another with
 * {@code this(...)}. Those assignments are taken out of the new build's constructor code, so that
 * a constructor whose only change is such an assignment compares equal to the old one (the value
 * is carried as the shadow variable's initial value instead); any other constructor change stays
 * a change, and is refused.
 *
 * <p>javac compiles a field initializer into every non-delegating constructor, right after the
 * {@code super(...)} call, as {@code aload_0; <value>; putfield}: the same shape as an assignment
 * in the constructor body, so both are recognised alike.
 */
final class FieldInitializers {

    private FieldInitializers() {
    }

    /**
     * Removes the initial assignments of {@code added} fields from {@code n}'s constructors and
     * static initializer and returns the value each starts as (absent: the type's default).
     *
     * @param newBuild to check that a no-argument {@code new} may be made outside the class's nest
     */
    static Map<String, AddedField.Initial> strip(ClassNode n, List<FieldNode> added, ClassSet newBuild,
                                                 List<String> problems) {
        Map<String, AddedField.Initial> initial = new LinkedHashMap<>();
        String cls = BuildDiff.dotted(n.name);
        for (FieldNode f : added) {
            boolean isStatic = (f.access & Opcodes.ACC_STATIC) != 0;
            if (isStatic && f.value != null) {
                initial.put(f.name, AddedField.Initial.ofConstant(f.value)); // ConstantValue: no code sets it
                continue;
            }
            List<MethodNode> setters = new ArrayList<>();
            for (MethodNode m : n.methods) {
                if (isStatic ? m.name.equals("<clinit>") : m.name.equals("<init>") && !delegates(n.name, m)) {
                    setters.add(m);
                }
            }
            Map<MethodNode, List<AbstractInsnNode>> found = new LinkedHashMap<>();
            for (MethodNode m : setters) {
                List<AbstractInsnNode> seq = assignment(n.name, f, m);
                if (seq != null) {
                    found.put(m, seq);
                }
            }
            if (found.isEmpty()) {
                continue;
            }
            List<AddedField.Initial> values = found.values().stream().map(FieldInitializers::valueOf).distinct().toList();
            if (found.size() != setters.size() || values.size() != 1) {
                List<String> without = setters.stream().filter(m -> !found.containsKey(m)).map(m -> m.name + m.desc).toList();
                problems.add(cls + "." + f.name + ": the added field starts "
                        + (values.size() != 1 ? "with different values in different constructors"
                        : "as " + values.get(0).describe(f.desc) + " in some constructors but not in " + without)
                        + ": a shadow variable starts with one value for every object; set it to the same constant or"
                        + " no-argument new in every constructor, or in its declaration");
                continue;
            }
            AddedField.Initial value = values.get(0);
            String privateCtor = value.newType() == null ? null : privateNoArgConstructor(value.newType(), newBuild);
            if (privateCtor != null) {
                problems.add(cls + "." + f.name + ": the added field starts as " + value.describe(f.desc) + ", whose"
                        + " constructor is private: the shadow variable's holder is made outside " + cls + "'s nest;"
                        + " make " + privateCtor + "'s no-argument constructor package-private");
                found.forEach((m, seq) -> seq.forEach(m.instructions::remove)); // one line says it all
                continue;
            }
            found.forEach((m, seq) -> seq.forEach(m.instructions::remove));
            initial.put(f.name, value);
        }
        return initial;
    }

    /** Whether a constructor starts by calling another of its own class ({@code this(...)}). */
    private static boolean delegates(String owner, MethodNode ctor) {
        int pendingNew = 0;
        for (AbstractInsnNode i = ctor.instructions.getFirst(); i != null; i = i.getNext()) {
            if (i.getOpcode() == Opcodes.NEW && ((TypeInsnNode) i).desc.equals(owner)) {
                pendingNew++;
            } else if (i.getOpcode() == Opcodes.INVOKESPECIAL && ((MethodInsnNode) i).name.equals("<init>")) {
                MethodInsnNode call = (MethodInsnNode) i;
                if (call.owner.equals(owner) && pendingNew == 0) {
                    return true;
                }
                if (call.owner.equals(owner)) {
                    pendingNew--;
                } else if (pendingNew == 0) {
                    return false; // super(...) ran first
                }
            }
        }
        return false;
    }

    /**
     * The instructions of the one assignment of {@code f} in {@code m}, when {@code m} has exactly
     * one and it is {@code [aload_0] <constant> put} or {@code [aload_0] new T; dup; invokespecial
     * T.<init>()V; put}; otherwise null (the code stays, so a changed constructor is refused).
     */
    private static List<AbstractInsnNode> assignment(String owner, FieldNode f, MethodNode m) {
        boolean isStatic = (f.access & Opcodes.ACC_STATIC) != 0;
        int put = isStatic ? Opcodes.PUTSTATIC : Opcodes.PUTFIELD;
        List<AbstractInsnNode> result = null;
        for (AbstractInsnNode i = m.instructions.getFirst(); i != null; i = i.getNext()) {
            if (i.getOpcode() != put || !((FieldInsnNode) i).owner.equals(owner) || !((FieldInsnNode) i).name.equals(f.name)) {
                continue;
            }
            if (result != null) {
                return null; // assigned twice: not a plain initial value
            }
            result = shape(i, isStatic);
            if (result == null || !unconditional(m, result)) {
                return null;
            }
        }
        return result;
    }

    /**
     * Whether every run of {@code m} that completes runs {@code seq}: nothing before it (a jump, a
     * switch, a return or throw, an exception handler) leads past it. An assignment on one branch
     * only leaves the field's default on the others, which one initial value for every object
     * cannot carry; its code then stays, and the constructor is a change.
     */
    private static boolean unconditional(MethodNode m, List<AbstractInsnNode> seq) {
        InsnList code = m.instructions;
        AbstractInsnNode start = seq.get(seq.size() - 1);
        int first = code.indexOf(start);
        int last = code.indexOf(seq.get(0));
        for (AbstractInsnNode i = code.getFirst(); i != start; i = i.getNext()) {
            List<LabelNode> targets = new ArrayList<>();
            if (i instanceof JumpInsnNode) {
                targets.add(((JumpInsnNode) i).label);
            } else if (i instanceof TableSwitchInsnNode) {
                targets.addAll(((TableSwitchInsnNode) i).labels);
                targets.add(((TableSwitchInsnNode) i).dflt);
            } else if (i instanceof LookupSwitchInsnNode) {
                targets.addAll(((LookupSwitchInsnNode) i).labels);
                targets.add(((LookupSwitchInsnNode) i).dflt);
            }
            int op = i.getOpcode();
            if (op >= Opcodes.IRETURN && op <= Opcodes.RETURN || op == Opcodes.ATHROW
                    || targets.stream().anyMatch(l -> code.indexOf(l) > last)) {
                return false;
            }
        }
        for (TryCatchBlockNode t : m.tryCatchBlocks) {
            if (code.indexOf(t.start) < first && code.indexOf(t.handler) > last) {
                return false;
            }
        }
        return true;
    }

    private static List<AbstractInsnNode> shape(AbstractInsnNode put, boolean isStatic) {
        List<AbstractInsnNode> seq = new ArrayList<>();
        seq.add(put);
        AbstractInsnNode v = put.getPrevious();
        if (v == null) {
            return null;
        }
        if (v.getOpcode() == Opcodes.INVOKESPECIAL) {
            MethodInsnNode init = (MethodInsnNode) v;
            AbstractInsnNode dup = v.getPrevious();
            AbstractInsnNode nw = dup == null ? null : dup.getPrevious();
            if (!init.name.equals("<init>") || !init.desc.equals("()V") || dup.getOpcode() != Opcodes.DUP
                    || nw == null || nw.getOpcode() != Opcodes.NEW || !((TypeInsnNode) nw).desc.equals(init.owner)) {
                return null;
            }
            seq.addAll(List.of(v, dup, nw));
            v = nw;
        } else if (constant(v) == NOT_CONSTANT) {
            return null;
        } else {
            seq.add(v);
        }
        if (!isStatic) {
            AbstractInsnNode self = v.getPrevious();
            if (self == null || self.getOpcode() != Opcodes.ALOAD || ((VarInsnNode) self).var != 0) {
                return null;
            }
            seq.add(self);
        }
        return seq;
    }

    private static AddedField.Initial valueOf(List<AbstractInsnNode> seq) {
        // seq runs backwards from the put: [put, value...]
        AbstractInsnNode v = seq.get(1);
        if (v.getOpcode() == Opcodes.INVOKESPECIAL) {
            return AddedField.Initial.ofNew(((MethodInsnNode) v).owner);
        }
        return AddedField.Initial.ofConstant(constant(v));
    }

    private static final Object NOT_CONSTANT = new Object();

    private static Object constant(AbstractInsnNode i) {
        int op = i.getOpcode();
        if (op == Opcodes.ACONST_NULL) {
            return null;
        }
        if (op >= Opcodes.ICONST_M1 && op <= Opcodes.ICONST_5) {
            return op - Opcodes.ICONST_0;
        }
        if (op == Opcodes.LCONST_0 || op == Opcodes.LCONST_1) {
            return (long) (op - Opcodes.LCONST_0);
        }
        if (op >= Opcodes.FCONST_0 && op <= Opcodes.FCONST_2) {
            return (float) (op - Opcodes.FCONST_0);
        }
        if (op == Opcodes.DCONST_0 || op == Opcodes.DCONST_1) {
            return (double) (op - Opcodes.DCONST_0);
        }
        if (op == Opcodes.BIPUSH || op == Opcodes.SIPUSH) {
            return ((IntInsnNode) i).operand;
        }
        if (op == Opcodes.LDC) {
            Object c = ((LdcInsnNode) i).cst;
            boolean plain = c instanceof Number || c instanceof String
                    || c instanceof Type && (((Type) c).getSort() == Type.OBJECT || ((Type) c).getSort() == Type.ARRAY);
            return plain ? c : NOT_CONSTANT;
        }
        return NOT_CONSTANT;
    }

    /** The class's binary name when its no-argument constructor in the new build is private, else null. */
    private static String privateNoArgConstructor(String type, ClassSet newBuild) {
        byte[] file = newBuild.classes().get(type);
        if (file == null) {
            return null; // the JDK or a library: javac let the new build call it from the class's package
        }
        ClassNode c = Normalized.parse(file);
        boolean isPrivate = c.methods.stream().anyMatch(m -> m.name.equals("<init>") && m.desc.equals("()V")
                && (m.access & Opcodes.ACC_PRIVATE) != 0);
        return isPrivate ? BuildDiff.dotted(Objects.requireNonNull(type)) : null;
    }
}
