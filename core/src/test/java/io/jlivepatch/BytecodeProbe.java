package io.jlivepatch;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Handle;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.InvokeDynamicInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.util.Textifier;
import org.objectweb.asm.util.TraceMethodVisitor;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;
import java.security.ProtectionDomain;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Looks at what the JVM actually runs. A retransformation-capable transformer added after
 * jlivepatch's sees jlivepatch's output: retransforming a class on purpose and capturing what
 * reaches it gives the class's current bytecode. The same transformer counts retransformations.
 */
final class BytecodeProbe {

    static final String DISPATCH = "io/jlivepatch/internal/bootstrap/Dispatch";

    private static final Set<Class<?>> armed = ConcurrentHashMap.newKeySet();
    private static final Map<Class<?>, byte[]> captured = new ConcurrentHashMap<>();
    private static final Map<Class<?>, AtomicInteger> counts = new ConcurrentHashMap<>();
    private static volatile Set<Class<?>> counted = Set.of();
    private static boolean installed;

    private BytecodeProbe() {
    }

    private static synchronized Instrumentation install() {
        TestSupport.livepatch(); // jlivepatch's transformer first, so that ours sees its output
        Instrumentation inst = TestSupport.instrumentation();
        if (!installed) {
            inst.addTransformer(new Capture(), true);
            installed = true;
        }
        return inst;
    }

    /** The current class file of {@code c}, hooks included, as a retransformation produces it. */
    static synchronized byte[] currentBytes(Class<?> c) {
        Instrumentation inst = install();
        armed.add(c);
        captured.remove(c);
        try {
            inst.retransformClasses(c);
        } catch (UnmodifiableClassException e) {
            throw new AssertionError(e);
        } finally {
            armed.remove(c);
        }
        byte[] bytes = captured.remove(c);
        assertNotNull(bytes, "the probe saw no retransformation of " + c.getName());
        return bytes;
    }

    /** Every method of {@code c} as text (instructions, frames, lines), keyed by name + descriptor. */
    static Map<String, String> methods(Class<?> c) {
        return methods(currentBytes(c));
    }

    static Map<String, String> methods(byte[] classFile) {
        ClassNode cn = new ClassNode();
        new ClassReader(classFile).accept(cn, 0);
        Map<String, String> out = new TreeMap<>();
        for (MethodNode m : cn.methods) {
            out.put(m.name + m.desc, text(m));
        }
        return out;
    }

    /** The text of one method of {@code c} now. */
    static String method(Class<?> c, String name, String descriptor) {
        String text = methods(c).get(name + descriptor);
        assertNotNull(text, c.getName() + " has no method " + name + descriptor);
        return text;
    }

    private static String text(MethodNode m) {
        Textifier printer = new Textifier();
        TraceMethodVisitor trace = new TraceMethodVisitor(printer);
        for (AbstractInsnNode insn : m.instructions) {
            insn.accept(trace);
        }
        StringWriter sw = new StringWriter();
        try (PrintWriter pw = new PrintWriter(sw)) {
            printer.print(pw);
        }
        return sw.toString();
    }

    /** Methods of the class file that hold an invokedynamic bootstrapped by jlivepatch's Dispatch. */
    static List<String> hookedMethods(byte[] classFile) {
        ClassNode cn = new ClassNode();
        new ClassReader(classFile).accept(cn, 0);
        return cn.methods.stream().filter(BytecodeProbe::callsDispatch).map(m -> m.name + m.desc)
                .collect(Collectors.toList());
    }

    static List<String> hookedMethods(Class<?> c) {
        return hookedMethods(currentBytes(c));
    }

    private static boolean callsDispatch(MethodNode m) {
        for (AbstractInsnNode insn : m.instructions) {
            if (insn instanceof InvokeDynamicInsnNode) {
                Handle bsm = ((InvokeDynamicInsnNode) insn).bsm;
                if (bsm.getOwner().equals(DISPATCH)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Snapshot of the bytecode of several classes, to check later that nothing changed. */
    static Map<Class<?>, Map<String, String>> snapshot(Class<?>... classes) {
        Map<Class<?>, Map<String, String>> out = new LinkedHashMap<>();
        for (Class<?> c : classes) {
            out.put(c, methods(c));
        }
        return out;
    }

    /** Every class of the snapshot has exactly its snapshot bytecode again, and no hook. */
    static void assertUnchanged(Map<Class<?>, Map<String, String>> snapshot) {
        snapshot.forEach((c, before) -> {
            byte[] now = currentBytes(c);
            assertEquals(before, methods(now), "bytecode of " + c.getName() + " changed");
            assertEquals(List.of(), hookedMethods(now), c.getName() + " carries a jlivepatch hook");
        });
    }

    /** Runs {@code action} and returns how often each class of {@code classes} was retransformed meanwhile. */
    static synchronized Map<Class<?>, Integer> countRetransforms(Collection<Class<?>> classes, ThrowingRunnable action)
            throws Exception {
        install();
        counts.clear();
        classes.forEach(c -> counts.put(c, new AtomicInteger()));
        counted = Set.copyOf(classes);
        try {
            action.run();
        } finally {
            counted = Set.of();
        }
        Map<Class<?>, Integer> out = new LinkedHashMap<>();
        classes.forEach(c -> out.put(c, counts.get(c).get()));
        return out;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static final class Capture implements ClassFileTransformer {
        @Override
        public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                                ProtectionDomain domain, byte[] classFile) {
            try {
                if (redefined != null) {
                    if (armed.contains(redefined)) {
                        captured.put(redefined, classFile.clone());
                    }
                    if (counted.contains(redefined)) {
                        counts.get(redefined).incrementAndGet();
                    }
                }
            } catch (Throwable t) {
                t.printStackTrace();
            }
            return null;
        }
    }
}
