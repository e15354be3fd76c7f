package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the callback annotations ({@code @PrePatch}, {@code @PostPatch}, {@code @PreUnpatch},
 * {@code @PostUnpatch}) of a patch JAR's classes from their class files, like {@link ReplacesScanner}
 * reads {@code @Replaces}, and checks them: each on a {@code public static void m(Class<?>)}, each
 * naming a class the JAR replaces a method of, one of a kind per class. Public for
 * {@code jlivepatch inspect}.
 */
public final class CallbackScanner {

    /** The annotations, by their simple names, in the order of the life cycle. */
    public static final List<String> KINDS = List.of("PrePatch", "PostPatch", "PreUnpatch", "PostUnpatch");

    static final String DESCRIPTOR = "(Ljava/lang/Class;)V";

    /**
     * One annotated method.
     *
     * @param patchClass the class holding it (binary name)
     * @param kind       one of {@link #KINDS}
     * @param target     the target class it names (binary name)
     * @param method     the annotated method's name
     */
    public record Entry(String patchClass, String kind, String target, String method) {

        /** {@code @PrePatch com.acme.fix.CacheFix.warm}, as messages and inspect show it. */
        public String describe() {
            return "@" + kind + " " + patchClass + "." + method;
        }
    }

    private CallbackScanner() {
    }

    /**
     * The callbacks of {@code jar}, in class then method order, checked against {@code targets}, the
     * classes the JAR replaces methods of.
     *
     * @throws PatchException {@code INVALID_PATCH} naming every annotated method that is wrong and what to write
     */
    public static List<Entry> scan(PatchJar jar, Set<String> targets) throws PatchException {
        List<Entry> entries = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String patchClass : jar.patchClasses()) {
            try {
                read(jar.classes().get(patchClass.replace('.', '/')), patchClass, entries, problems);
            } catch (RuntimeException | StackOverflowError e) {
                throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": the"
                        + " annotations of " + patchClass + " cannot be read: " + Failures.describe(e)
                        + "; build the patch again", e);
            }
        }
        Map<String, Entry> seen = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (!targets.contains(e.target())) {
                problems.add(e.describe() + " names " + PatchJar.quote(e.target()) + ", which the JAR replaces no"
                        + " method of (it replaces methods of " + String.join(", ", new TreeSet<>(targets))
                        + "): callbacks run per target class; name one of those, or fix the name");
            }
            Entry before = seen.putIfAbsent(e.kind() + " " + e.target(), e);
            if (before != null) {
                problems.add(e.target() + " has two @" + e.kind() + " callbacks (" + before.patchClass() + "."
                        + before.method() + " and " + e.patchClass() + "." + e.method() + "): keep one per class");
            }
        }
        if (!problems.isEmpty()) {
            throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": "
                    + String.join("; ", problems) + "; nothing was loaded");
        }
        return entries;
    }

    private static void read(byte[] bytes, String patchClass, List<Entry> entries, List<String> problems) {
        new ClassReader(bytes).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public AnnotationVisitor visitAnnotation(String annotation, boolean visible) {
                        String kind = kindOf(annotation);
                        if (kind == null) {
                            return null;
                        }
                        return new AnnotationVisitor(Opcodes.ASM9) {
                            private String value = "";

                            @Override
                            public void visit(String key, Object v) {
                                if ("value".equals(key)) {
                                    value = String.valueOf(v).trim();
                                }
                            }

                            @Override
                            public void visitEnd() {
                                String where = patchClass + "." + name + descriptor;
                                if ((access & Opcodes.ACC_PUBLIC) == 0 || (access & Opcodes.ACC_STATIC) == 0
                                        || !DESCRIPTOR.equals(descriptor)) {
                                    problems.add(where + " is annotated @" + kind + " but is not a callback: declare"
                                            + " it 'public static void " + name + "(Class<?> target)'");
                                } else if ((access & Opcodes.ACC_NATIVE) != 0) {
                                    // Linked lazily by the JVM: it would throw UnsatisfiedLinkError each time it ran.
                                    problems.add(where + " is annotated @" + kind + " but is declared native: a patch"
                                            + " brings no native library, so it would throw UnsatisfiedLinkError each"
                                            + " time it ran; give it a body in Java");
                                } else if (value.isEmpty()) {
                                    problems.add(where + ": @" + kind + " needs the target class, e.g. @" + kind
                                            + "(\"com.acme.Cache\")");
                                } else {
                                    entries.add(new Entry(patchClass, kind, value, name));
                                }
                            }
                        };
                    }
                };
            }
        }, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
    }

    private static String kindOf(String annotationDescriptor) {
        for (String kind : KINDS) {
            if (annotationDescriptor.equals("Lio/jlivepatch/" + kind + ";")) {
                return kind;
            }
        }
        return null;
    }
}
