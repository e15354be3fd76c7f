package io.jlivepatch.internal.build;

import org.objectweb.asm.tree.AnnotationNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.MethodNode;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runtime-visible annotations that differ between the builds. A patch cannot change them: the
 * running class keeps its own, and whatever reads them (a framework's {@code @Transactional} or
 * {@code @PreAuthorize}, a serializer's {@code @JsonIgnore}) goes on seeing the old ones. Not a
 * refusal (some compilers rewrite an annotation whenever the class changes, as Kotlin's
 * {@code @Metadata}), but never silent: the report notes each.
 */
final class Annotations {

    private Annotations() {
    }

    static void compare(String cls, ClassNode o, ClassNode n, List<String> notes) {
        if (!text(o.visibleAnnotations).equals(text(n.visibleAnnotations))) {
            notes.add(note(cls));
        }
        Map<String, FieldNode> fields = new HashMap<>();
        o.fields.forEach(f -> fields.put(f.name + ":" + f.desc, f));
        for (FieldNode f : n.fields) {
            FieldNode old = fields.get(f.name + ":" + f.desc);
            if (old != null && !text(old.visibleAnnotations).equals(text(f.visibleAnnotations))) {
                notes.add(note(cls + "." + f.name));
            }
        }
        Map<String, MethodNode> methods = new HashMap<>();
        o.methods.forEach(m -> methods.put(m.name + m.desc, m));
        for (MethodNode m : n.methods) {
            MethodNode old = methods.get(m.name + m.desc);
            if (old != null && !(text(old.visibleAnnotations).equals(text(m.visibleAnnotations))
                    && parameters(old.visibleParameterAnnotations).equals(parameters(m.visibleParameterAnnotations))
                    && value(old.annotationDefault).equals(value(m.annotationDefault)))) {
                notes.add(note(cls + "." + m.name + m.desc));
            }
        }
    }

    private static String note(String where) {
        return where + ": annotations changed: the running class keeps its own, so what reads them (a framework,"
                + " reflection) sees the old ones; the patch carries code only";
    }

    private static String parameters(List<AnnotationNode>[] perParameter) {
        if (perParameter == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (List<AnnotationNode> p : perParameter) {
            sb.append(text(p)).append(';');
        }
        return sb.toString();
    }

    private static String text(List<AnnotationNode> annotations) {
        if (annotations == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (AnnotationNode a : annotations) {
            sb.append(a.desc).append(value(a.values)).append(' ');
        }
        return sb.toString();
    }

    /** Names and values alike: strings, boxed primitives, Types, enum pairs, nested annotations, lists. */
    private static String value(Object v) {
        if (v instanceof AnnotationNode) {
            return "@" + ((AnnotationNode) v).desc + value(((AnnotationNode) v).values);
        }
        if (v instanceof List) {
            StringBuilder sb = new StringBuilder("[");
            ((List<?>) v).forEach(e -> sb.append(value(e)).append(','));
            return sb.append(']').toString();
        }
        if (v instanceof String[]) {
            return Arrays.toString((String[]) v); // an enum constant: its type and name
        }
        return v instanceof String ? "\"" + v + "\"" : Objects.toString(v);
    }
}
