package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

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
     */
    public record Entry(String patchClass, String target, String method, String descriptor, String replacement,
                 String replacementDesc) {
    }

    private ReplacesScanner() {
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
                    @Override
                    public AnnotationVisitor visitAnnotation(String annotation, boolean visible) {
                        if (!REPLACES.equals(annotation)) {
                            return null;
                        }
                        Map<String, String> values = new HashMap<>();
                        return new AnnotationVisitor(Opcodes.ASM9) {
                            @Override
                            public void visit(String key, Object value) {
                                values.put(key, String.valueOf(value));
                            }

                            @Override
                            public void visitEnd() {
                                String where = patchClass + "." + name + descriptor;
                                if ((access & Opcodes.ACC_PUBLIC) == 0 || (access & Opcodes.ACC_STATIC) == 0) {
                                    problems.add(where + " is annotated @Replaces but is not public static:"
                                            + " declare it 'public static'");
                                } else if (values.getOrDefault("target", "").isBlank()
                                        || values.getOrDefault("method", "").isBlank()) {
                                    problems.add(where + ": @Replaces needs target and method");
                                } else {
                                    entries.add(new Entry(patchClass, values.get("target").trim(), values.get("method").trim(),
                                            values.getOrDefault("descriptor", "").trim(), name, descriptor));
                                }
                            }
                        };
                    }
                };
            }
        }, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
    }
}
