package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.patch.SignatureCheck;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code @Replaces} annotations of a patch class from its class file, so that the
 * annotation type need not be visible to the loader that will define the class. Public for
 * {@code jlivepatch inspect}, which lists a JAR's functions without defining its classes.
 */
public final class ReplacesScanner {

    static final String REPLACES = "Lio/jlivepatch/Replaces;";

    /**
     * One annotated method.
     *
     * @param patchClass       the class holding the replacement (binary name)
     * @param target           target class (binary name)
     * @param method           target method name
     * @param descriptor       target descriptor, empty when omitted
     * @param replacement      the annotated method's name
     * @param replacementDesc  the annotated method's descriptor
     * @param next             whether its last parameter is {@code @Next} (the version below), which
     *                         is not one of the target's
     * @param nextParameters   the indices of every parameter annotated {@code @Next}, as the class file
     *                         declares them (a misplaced one is refused at registration)
     */
    public record Entry(String patchClass, String target, String method, String descriptor, String replacement,
                 String replacementDesc, boolean next, int[] nextParameters) {
    }

    private ReplacesScanner() {
    }

    /**
     * {@link #scan} after the checks every reader of a patch JAR makes first, the target JVM's load
     * and the command's own check alike: every class file parses whole, and none is a copy of a
     * class the JAR patches.
     */
    public static List<Entry> scanChecked(PatchJar jar) throws PatchException {
        ClassFileCheck.parseAll(jar);
        List<Entry> entries = scan(jar);
        for (Entry e : entries) {
            if (jar.classes().containsKey(e.target().replace('.', '/'))) {
                // The patch's class loader looks in the JAR first: the copy would hide the target from
                // the patch, and be patched itself, in the patch's own loader.
                throw new PatchException(Reason.INVALID_PATCH, jar.name(), "patch JAR " + jar.source()
                        + " carries its own copy of " + e.target() + ", the class it patches, which would hide the"
                        + " application's: remove " + e.target().replace('.', '/') + ".class from the JAR");
            }
        }
        return entries;
    }

    public static List<Entry> scan(PatchJar jar) throws PatchException {
        List<Entry> entries = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String patchClass : jar.patchClasses()) {
            scan(jar, patchClass, entries, problems);
        }
        if (!problems.isEmpty()) {
            throw new PatchException(Reason.SIGNATURE_MISMATCH, jar.name(), "patch JAR " + jar.source() + ": "
                    + String.join("; ", problems));
        }
        if (entries.isEmpty()) {
            throw new PatchException(Reason.INVALID_PATCH, jar.name(), "patch JAR " + jar.source() + ": "
                    + String.join(", ", jar.patchClasses()) + " has no method annotated @io.jlivepatch.Replaces:"
                    + " annotate each public static replacement with @Replaces(target = ..., method = ...)");
        }
        return entries;
    }

    private static void scan(PatchJar jar, String patchClass, List<Entry> entries, List<String> problems)
            throws PatchException {
        try {
            read(jar.classes().get(patchClass.replace('.', '/')), patchClass, entries, problems);
        } catch (RuntimeException | StackOverflowError e) {
            // ASM on a corrupt class file: index out of bounds, illegal arguments, ...
            throw new PatchException(Reason.INVALID_PATCH, jar.name(), "patch JAR " + jar.source() + ": the"
                    + " annotations of " + patchClass + " cannot be read: " + Failures.describe(e)
                    + "; build the patch again", e);
        }
    }

    private static void read(byte[] bytes, String patchClass, List<Entry> entries, List<String> problems) {
        new ClassReader(bytes).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                return new MethodVisitor(Opcodes.ASM9) {
                    /** The @Replaces values, or null when the method has none. */
                    private Map<String, String> values;
                    /** The parameters annotated @Next (visible, as reflection would see them), in order. */
                    private final List<Integer> next = new ArrayList<>();

                    @Override
                    public AnnotationVisitor visitAnnotation(String annotation, boolean visible) {
                        if (!REPLACES.equals(annotation)) {
                            return null;
                        }
                        Map<String, String> v = new HashMap<>();
                        values = v;
                        return new AnnotationVisitor(Opcodes.ASM9) {
                            @Override
                            public void visit(String key, Object value) {
                                v.put(key, String.valueOf(value));
                            }
                        };
                    }

                    @Override
                    public AnnotationVisitor visitParameterAnnotation(int parameter, String annotation, boolean visible) {
                        if (visible && SignatureCheck.DESCRIPTOR.equals(annotation)) {
                            next.add(parameter);
                        }
                        return null;
                    }

                    // After the parameters' annotations, which ASM visits after the method's.
                    @Override
                    public void visitEnd() {
                        if (values == null) {
                            return;
                        }
                        String where = patchClass + "." + name + descriptor;
                        if ((access & Opcodes.ACC_PUBLIC) == 0 || (access & Opcodes.ACC_STATIC) == 0) {
                            problems.add(where + " is annotated @Replaces but is not public static:"
                                    + " declare it 'public static'");
                        } else if (values.getOrDefault("target", "").isBlank()
                                || values.getOrDefault("method", "").isBlank()) {
                            problems.add(where + ": @Replaces needs target and method");
                        } else {
                            // A misplaced @Next is refused at registration (SignatureCheck.problem, from these
                            // indices); here it only must not be taken for a target's parameter.
                            int[] nexts = new int[next.size()];
                            for (int i = 0; i < nexts.length; i++) {
                                nexts[i] = next.get(i);
                            }
                            boolean last = nexts.length > 0
                                    && nexts[nexts.length - 1] == Type.getArgumentTypes(descriptor).length - 1;
                            entries.add(new Entry(patchClass, values.get("target").trim(), values.get("method").trim(),
                                    values.getOrDefault("descriptor", "").trim(), name, descriptor, last, nexts));
                        }
                    }
                };
            }
        }, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
    }
}
