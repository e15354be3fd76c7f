package io.jlivepatch.internal.format;

import io.jlivepatch.internal.Sha256;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.IincInsnNode;
import org.objectweb.asm.tree.InsnNode;
import org.objectweb.asm.tree.IntInsnNode;
import org.objectweb.asm.tree.InvokeDynamicInsnNode;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.LookupSwitchInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.MultiANewArrayInsnNode;
import org.objectweb.asm.tree.TableSwitchInsnNode;
import org.objectweb.asm.tree.TryCatchBlockNode;
import org.objectweb.asm.tree.TypeInsnNode;
import org.objectweb.asm.tree.VarInsnNode;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * What of a class or method changes behaviour, as text: instructions with their operands resolved
 * (so constant-pool order does not matter), labels numbered in order of appearance, and exception
 * handlers; without line numbers, local variable names, frames or other debug attributes.
 *
 * <p>Public for the builder (jlivepatch-builder compares two builds method by method with
 * {@link #code}): the digest a patch JAR records ({@link ClassDigest#of}) and the comparison that
 * decides what changed must be the same normal form, so there is one, here.
 *
 * <p>Every string and name goes through {@link #text}, so that none reads as other lines: the JVM
 * allows line breaks in string constants and in names, and a rendering that kept them raw let a
 * string spell instructions (hostile-input finding F5). Only what breaks lines (and what the
 * escaping itself uses) is escaped: backslashes, quotes and control characters such as the
 * U+0001 of javac's concatenation recipes are in ordinary classes, and the digest of an
 * ordinary class must stay the one patch JARs built earlier record.
 */
public final class Normalized {

    /**
     * Starts an escape: this character and four hex digits stand for one character. A noncharacter
     * (U+FFFF), so that ordinary strings never hold it and keep their rendering; it is escaped too,
     * so that no string spells another's escaped form.
     */
    static final char ESCAPE = '\uffff';

    private Normalized() {
    }

    public static ClassNode parse(byte[] classFile) {
        ClassNode node = new ClassNode();
        new ClassReader(classFile).accept(node, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return node;
    }

    public static String code(MethodNode m) {
        StringBuilder sb = new StringBuilder();
        Map<LabelNode, Integer> labels = new HashMap<>();
        for (AbstractInsnNode i = m.instructions.getFirst(); i != null; i = i.getNext()) {
            if (i instanceof LabelNode) {
                labels.put((LabelNode) i, labels.size());
            }
        }
        for (AbstractInsnNode i = m.instructions.getFirst(); i != null; i = i.getNext()) {
            if (i.getOpcode() < 0 && !(i instanceof LabelNode)) {
                continue; // line numbers and frames
            }
            if (i instanceof LabelNode) {
                sb.append('L').append(labels.get(i)).append(':');
            } else {
                sb.append(i.getOpcode());
                if (i instanceof IntInsnNode) {
                    sb.append(' ').append(((IntInsnNode) i).operand);
                } else if (i instanceof VarInsnNode) {
                    sb.append(' ').append(((VarInsnNode) i).var);
                } else if (i instanceof TypeInsnNode) {
                    sb.append(' ').append(text(((TypeInsnNode) i).desc));
                } else if (i instanceof FieldInsnNode) {
                    FieldInsnNode f = (FieldInsnNode) i;
                    sb.append(' ').append(text(f.owner)).append('.').append(text(f.name)).append(' ').append(text(f.desc));
                } else if (i instanceof MethodInsnNode) {
                    MethodInsnNode mi = (MethodInsnNode) i;
                    sb.append(' ').append(text(mi.owner)).append('.').append(text(mi.name)).append(text(mi.desc))
                            .append(mi.itf ? " itf" : "");
                } else if (i instanceof InvokeDynamicInsnNode) {
                    InvokeDynamicInsnNode d = (InvokeDynamicInsnNode) i;
                    sb.append(' ').append(text(d.name)).append(text(d.desc)).append(' ').append(constant(d.bsm))
                            .append(Arrays.stream(d.bsmArgs).map(Normalized::constant).toList());
                } else if (i instanceof JumpInsnNode) {
                    sb.append(" L").append(labels.get(((JumpInsnNode) i).label));
                } else if (i instanceof LdcInsnNode) {
                    sb.append(' ').append(constant(((LdcInsnNode) i).cst));
                } else if (i instanceof IincInsnNode) {
                    IincInsnNode ii = (IincInsnNode) i;
                    sb.append(' ').append(ii.var).append(' ').append(ii.incr);
                } else if (i instanceof TableSwitchInsnNode) {
                    TableSwitchInsnNode t = (TableSwitchInsnNode) i;
                    sb.append(' ').append(t.min).append(' ').append(t.max).append(" L").append(labels.get(t.dflt));
                    t.labels.forEach(l -> sb.append(" L").append(labels.get(l)));
                } else if (i instanceof LookupSwitchInsnNode) {
                    LookupSwitchInsnNode l = (LookupSwitchInsnNode) i;
                    sb.append(' ').append(l.keys).append(" L").append(labels.get(l.dflt));
                    l.labels.forEach(x -> sb.append(" L").append(labels.get(x)));
                } else if (i instanceof MultiANewArrayInsnNode) {
                    MultiANewArrayInsnNode a = (MultiANewArrayInsnNode) i;
                    sb.append(' ').append(text(a.desc)).append(' ').append(a.dims);
                } else if (!(i instanceof InsnNode)) {
                    sb.append(' ').append(i.getClass().getSimpleName());
                }
            }
            sb.append('\n');
        }
        for (TryCatchBlockNode t : m.tryCatchBlocks) {
            sb.append("try L").append(labels.get(t.start)).append(" L").append(labels.get(t.end))
                    .append(" L").append(labels.get(t.handler)).append(' ').append(text(t.type)).append('\n');
        }
        return sb.toString();
    }

    private static String constant(Object c) {
        if (c instanceof Handle) {
            Handle h = (Handle) c;
            return "H" + h.getTag() + ":" + text(h.getOwner()) + "." + text(h.getName()) + text(h.getDesc());
        }
        if (c instanceof Type) {
            return "T:" + text(((Type) c).getDescriptor());
        }
        if (c instanceof String) {
            return "S:\"" + text((String) c) + "\"";
        }
        // a dynamic constant's text holds its names and string arguments
        return c.getClass().getSimpleName() + ":" + text(c.toString());
    }

    /**
     * {@code s} itself when it holds no line break, lone surrogate (which UTF-8 would encode as
     * '?', like a real '?') or {@link #ESCAPE}: so for ordinary strings and names. Otherwise each
     * of those as {@code ESCAPE} and its four hex digits. {@code null} stays {@code null}.
     */
    static String text(String s) {
        if (s == null) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            if (escaped(s, i)) {
                return escape(s);
            }
        }
        return s;
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (escaped(s, i)) {
                sb.append(ESCAPE).append(Integer.toHexString(c | 0x10000), 1, 5);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Whether the character at {@code i} is escaped: a line break, {@link #ESCAPE}, a surrogate not in a pair. */
    private static boolean escaped(String s, int i) {
        char c = s.charAt(i);
        if (c == '\n' || c == '\r' || c == ESCAPE) {
            return true;
        }
        if (Character.isHighSurrogate(c)) {
            return i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
        }
        return false;
    }

    /** A digest of everything {@code jlivepatch build} compares in a class: the build it was made from. */
    static String digest(byte[] classFile) {
        ClassNode c = parse(classFile);
        StringBuilder sb = new StringBuilder();
        sb.append(text(c.name)).append(' ').append(c.access).append(' ').append(text(c.superName)).append(" [");
        for (int i = 0; i < c.interfaces.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(text(c.interfaces.get(i))); // as List.toString wrote it
        }
        sb.append("]\n");
        c.fields.forEach(f -> sb.append("field ").append(f.access).append(' ').append(text(f.name)).append(' ')
                .append(text(f.desc)).append(' ').append(f.value instanceof String ? text((String) f.value) : f.value)
                .append('\n'));
        c.methods.stream().sorted(java.util.Comparator.comparing(m -> m.name + m.desc)).forEach(m ->
                sb.append("method ").append(m.access).append(' ').append(text(m.name)).append(text(m.desc)).append('\n')
                        .append(code(m)));
        return Sha256.hex(sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
