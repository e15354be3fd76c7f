package io.jlivepatch.internal.build;

import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.jar.PatchJar;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Whether the names a class file gives (its own, its members', their descriptors) are ones a build
 * may carry into a report and a patch JAR. The JVM takes more than compilers write: a class may be
 * called {@code Pricing} and an ESC, a method {@code run} and a line feed. Such a name would put a
 * terminal's control sequence into every line that quotes it; no compiler writes one, so a build
 * holding one is refused when it is read, naming it escaped. A class the patch would carry may not
 * hold white space, {@code ,} or {@code =} either (legal, and written by Kotlin's back-quoted names):
 * the patch JAR's manifest lists classes split at white space and commas, a nestmate pair at
 * {@code =}; that is a problem of the report ({@link #unlisted}), the rest of the build read as ever.
 */
final class ClassNames {

    /** The most of a name quoted: a damaged class file's "name" may run on through its constant pool. */
    private static final int MAX_QUOTED = 120;

    private ClassNames() {
    }

    /** {@code s} as a refusal quotes it: cut, then escaped. */
    static String quoted(String s) {
        return Text.clean(Text.truncate(s, MAX_QUOTED));
    }

    /**
     * Why {@code internalName} is no class name a build may hold, or {@code null}: JVMS 4.2.1 (each
     * segment non-empty, none of {@code . ; [}), and no character a report line would have to escape.
     */
    static String classNameProblem(String internalName) {
        String notAName = notAClassName(internalName);
        return notAName != null ? notAName : unprintable(internalName);
    }

    /** Why {@code internalName} is no class name at all (JVMS 4.2.1: a path such as {@code ../x} too), or {@code null}. */
    static String notAClassName(String internalName) {
        for (String segment : internalName.split("/", -1)) {
            if (segment.isEmpty() || segment.chars().anyMatch(c -> c == '.' || c == ';' || c == '[')) {
                return "its name " + quoted(internalName) + " is no class name";
            }
        }
        return null;
    }

    /** Why a report line could not name {@code internalName} as it is (a control character), or {@code null}. */
    static String unprintable(String internalName) {
        for (int i = 0; i < internalName.length(); i++) {
            if (Text.needsEscape(internalName, i)) {
                return "its name " + quoted(internalName) + " holds " + described(internalName, i)
                        + ", which no compiler writes into a class name";
            }
        }
        return null;
    }

    /**
     * The report's problems for the classes a patch would carry ({@code internalNames}: the classes it
     * replaces methods of, whose nestmate carriers take their names, its new classes, its shadow
     * variables' holders) whose names its manifest cannot list.
     */
    static List<String> unlisted(Collection<String> internalNames) {
        List<String> problems = new ArrayList<>();
        for (String n : internalNames) {
            int bad = firstUnlisted(n);
            if (bad >= 0) {
                problems.add(BuildDiff.dotted(n) + ": its name holds " + described(n, bad) + ", which a patch JAR's"
                        + " manifest cannot list (it splits class names at white space and commas, a nestmate pair at"
                        + " '='): leave the class out (--include), or rename it");
            }
        }
        return problems;
    }

    /** Why a member's name or descriptor cannot be quoted in a report line, or {@code null}. */
    static String memberProblem(String kind, String name, String descriptor, boolean method) {
        String what = kind + " " + quoted(String.valueOf(name)) + quoted(String.valueOf(descriptor));
        if (name == null || descriptor == null) {
            return what + ": its name or descriptor is a constant of another kind";
        }
        for (int i = 0; i < name.length(); i++) {
            if (Text.needsEscape(name, i)) {
                return what + ": its name holds " + described(name, i) + ", which no compiler writes";
            }
        }
        if (name.isEmpty() || name.chars().anyMatch(c -> c == '.' || c == ';' || c == '[' || c == '/')) {
            return what + ": its name is no " + kind + " name";
        }
        int end = method ? methodDescriptorEnd(descriptor) : fieldDescriptorEnd(descriptor, 0);
        if (end != descriptor.length()) {
            return what + ": " + quoted(descriptor) + " is no " + kind + " descriptor";
        }
        for (int i = 0; i < descriptor.length(); i++) {
            if (Text.needsEscape(descriptor, i)) {
                return what + ": its descriptor holds " + described(descriptor, i) + ", which no compiler writes";
            }
        }
        return null;
    }

    /**
     * Why an instruction's reference (a call's or a field access's owner, name and descriptor) is
     * none the JVM resolves, or {@code null}: a constant of another kind than the instruction needs
     * reads as {@code null} or as any text, and writing the patch class would trip on it.
     */
    static String referenceProblem(String what, String owner, String name, String descriptor, boolean method) {
        if (owner == null || name == null || descriptor == null) {
            return what + " names a constant of another kind than a " + (method ? "method" : "field") + " reference";
        }
        if (!isClassOrArray(owner)) {
            return what + " names " + quoted(owner) + ", which is no class";
        }
        String member = memberProblem(method ? "method" : "field", name, descriptor, method);
        return member == null ? null : what + " names " + quoted(owner) + "." + member;
    }

    /**
     * Whether {@code type} is what a class constant may hold, an internal class name or an array
     * descriptor, without a character a report line would escape (a superclass is quoted in one).
     */
    static boolean isClassOrArray(String type) {
        if (type == null || type.isEmpty() || hasEscaped(type)) {
            return false;
        }
        if (type.charAt(0) == '[') {
            return fieldDescriptorEnd(type, 0) == type.length();
        }
        for (String segment : type.split("/", -1)) {
            if (segment.isEmpty() || segment.chars().anyMatch(c -> c == '.' || c == ';' || c == '[')) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code d} is a method descriptor (JVMS 4.3.3) without a character a report line would escape. */
    static boolean isMethodDescriptor(String d) {
        return d != null && methodDescriptorEnd(d) == d.length() && !hasEscaped(d);
    }

    /** Whether {@code d} is a field descriptor (JVMS 4.3.2) without a character a report line would escape. */
    static boolean isFieldDescriptor(String d) {
        return d != null && fieldDescriptorEnd(d, 0) == d.length() && !hasEscaped(d);
    }

    private static boolean hasEscaped(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Text.needsEscape(s, i)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The index of the first character of {@code name} a manifest list cannot carry, or -1: where core
     * splits the list (PatchJar.isSeparator, ASCII white space and commas), and a nestmate pair's
     * {@code =}. Not every Unicode space: core reads a name with a no-break space whole, as it did
     * before this check, and the build is not to refuse it.
     */
    private static int firstUnlisted(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (PatchJar.isSeparator(c) || c == '=') {
                return i;
            }
        }
        return -1;
    }

    private static String described(String s, int i) {
        return "'" + Text.clean(String.valueOf(s.charAt(i))) + "' (U+" + String.format("%04X", (int) s.charAt(i)) + ")";
    }

    /** JVMS 4.3.3: the end of a method descriptor that takes all of {@code d}, or -1. */
    private static int methodDescriptorEnd(String d) {
        if (d.isEmpty() || d.charAt(0) != '(') {
            return -1;
        }
        int i = 1;
        while (i < d.length() && d.charAt(i) != ')') {
            i = fieldDescriptorEnd(d, i);
            if (i < 0) {
                return -1;
            }
        }
        if (i >= d.length()) {
            return -1;
        }
        i++;
        return i < d.length() && d.charAt(i) == 'V' ? i + 1 : fieldDescriptorEnd(d, i);
    }

    /** JVMS 4.3.2: the end of the field descriptor at {@code i} of {@code d}, or -1. */
    private static int fieldDescriptorEnd(String d, int i) {
        int dims = 0;
        while (i < d.length() && d.charAt(i) == '[') {
            i++;
            if (++dims > 255) {
                return -1;
            }
        }
        if (i >= d.length()) {
            return -1;
        }
        char c = d.charAt(i);
        if ("BCDFIJSZ".indexOf(c) >= 0) {
            return i + 1;
        }
        if (c != 'L') {
            return -1;
        }
        int end = d.indexOf(';', i);
        if (end < 0 || end == i + 1) {
            return -1;
        }
        String name = d.substring(i + 1, end);
        for (String segment : name.split("/", -1)) {
            if (segment.isEmpty() || segment.indexOf('.') >= 0 || segment.indexOf('[') >= 0) {
                return -1;
            }
        }
        return end + 1;
    }
}
