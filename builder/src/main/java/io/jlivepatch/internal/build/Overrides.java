package io.jlivepatch.internal.build;

import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.format.Normalized;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodNode;

import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Whether a method the new build adds takes part in overriding, which a carried copy cannot. One
 * that overrides an inherited method: the running class's method table does not have it, so every
 * virtual call (the superclass's own code, {@code "" + obj} for an added {@code toString}) goes on
 * running the inherited method, and only the patch's own direct calls would reach the copy. One
 * that a subtype overrides: the patch's code calls the copy directly, so the subtype's method is
 * passed over.
 */
final class Overrides {

    private static final int NOT_INHERITED = Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC;

    private Overrides() {
    }

    /**
     * The inherited method {@code m}, added to {@code cls}, overrides ({@code a.B.name(desc)}), or
     * null. Supertypes are read from the build, and from the JDK where the build does not hold them;
     * one from a library outside the build cannot be seen.
     */
    static String inherited(ClassSet build, ClassNode cls, MethodNode m) {
        if ((m.access & NOT_INHERITED) != 0 || m.name.startsWith("<")) {
            return null;
        }
        String pkg = BuildDiff.packageOf(cls.name);
        Deque<String> todo = new ArrayDeque<>();
        Set<String> seen = new HashSet<>();
        push(todo, cls.superName);
        cls.interfaces.forEach(i -> push(todo, i));
        while (!todo.isEmpty()) {
            String name = todo.pop();
            if (!seen.add(name)) {
                continue;
            }
            byte[] inBuild = build.classes().get(name);
            if (inBuild != null) {
                ClassNode s = Normalized.parse(inBuild);
                for (MethodNode sm : s.methods) {
                    if (sm.name.equals(m.name) && sm.desc.equals(m.desc) && overridable(sm.access, name, pkg)) {
                        // escaped: a supertype the patch leaves alone may hold any name (FlawedClasses)
                        return Text.clean(BuildDiff.dotted(name)) + "." + sm.name + sm.desc;
                    }
                }
                push(todo, s.superName);
                s.interfaces.forEach(i -> push(todo, i));
                continue;
            }
            try {
                Class<?> c = Class.forName(name.replace('/', '.'), false, ClassLoader.getPlatformClassLoader());
                for (Method sm : c.getDeclaredMethods()) {
                    if (sm.getName().equals(m.name) && Type.getMethodDescriptor(sm).equals(m.desc)
                            && overridable(sm.getModifiers(), name, pkg)) {
                        return BuildDiff.dotted(name) + "." + m.name + m.desc;
                    }
                }
                if (c.getSuperclass() != null) {
                    push(todo, c.getSuperclass().getName().replace('.', '/'));
                }
                for (Class<?> i : c.getInterfaces()) {
                    push(todo, i.getName().replace('.', '/'));
                }
            } catch (ClassNotFoundException | LinkageError unknown) {
                // a library outside the build: nothing to read
            }
        }
        return null;
    }

    /** One line per method the new build adds that a subtype in the build overrides. */
    static List<String> overridden(ClassSet build, List<BuildDiff.ClassChange> changes) {
        List<String> problems = new ArrayList<>();
        Map<String, ClassNode> headers = null;
        for (BuildDiff.ClassChange c : changes) {
            for (MethodNode m : c.added()) {
                if ((m.access & NOT_INHERITED) != 0 || m.name.startsWith("<")) {
                    continue;
                }
                if (headers == null) {
                    headers = headers(build);
                }
                for (ClassNode sub : headers.values()) {
                    boolean overrides = sub.methods.stream().anyMatch(sm -> sm.name.equals(m.name)
                            && sm.desc.equals(m.desc) && (sm.access & NOT_INHERITED) == 0);
                    if (overrides && !sub.name.equals(c.name()) && isSubtype(headers, sub.name, c.name())
                            && overridable(m.access, c.name(), BuildDiff.packageOf(sub.name))) {
                        problems.add(BuildDiff.dotted(c.name()) + "." + m.name + m.desc + ": method added that "
                                + Text.clean(BuildDiff.dotted(sub.name)) + " overrides: the patch's code would call the added"
                                + " method itself, never the override; a method patch cannot change which method a"
                                + " call dispatches to: give the added method a name no subtype declares");
                        break;
                    }
                }
            }
        }
        return problems;
    }

    private static Map<String, ClassNode> headers(ClassSet build) {
        Map<String, ClassNode> headers = new TreeMap<>(); // the subtype named is the first by name, every run
        build.classes().forEach((name, bytes) -> {
            ClassNode n = new ClassNode();
            new ClassReader(bytes).accept(n, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
            headers.put(name, n);
        });
        return headers;
    }

    /** Whether {@code name} extends or implements {@code type}, as far as the build shows. */
    private static boolean isSubtype(Map<String, ClassNode> headers, String name, String type) {
        Deque<String> todo = new ArrayDeque<>();
        Set<String> seen = new HashSet<>();
        todo.push(name);
        while (!todo.isEmpty()) {
            ClassNode n = headers.get(todo.pop());
            if (n == null || !seen.add(n.name)) {
                continue;
            }
            if (type.equals(n.superName) || n.interfaces.contains(type)) {
                return true;
            }
            push(todo, n.superName);
            n.interfaces.forEach(i -> push(todo, i));
        }
        return false;
    }

    private static void push(Deque<String> todo, String name) {
        if (name != null) {
            todo.push(name);
        }
    }

    /** Access flags and reflection's modifiers agree on these bits. */
    private static boolean overridable(int access, String owner, String pkg) {
        if ((access & NOT_INHERITED) != 0) {
            return false;
        }
        return (access & (Opcodes.ACC_PUBLIC | Opcodes.ACC_PROTECTED)) != 0 || BuildDiff.packageOf(owner).equals(pkg);
    }
}
