package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.patch.SignatureCheck;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code @Replaces} annotations of a patch class from its class file, so that the
 * annotation type need not be visible to the loader that will define the class. Public for
 * {@code jlivepatch inspect}, which lists a JAR's functions without defining its classes.
 *
 * <p>The same pass reads each replacement's code for a call of the very method it replaces
 * ({@link Entry#callsItsTarget}, {@link #selfCallWarnings}), as ASM visits a method's annotations before
 * its code: such a call enters the method's hook again and runs the replacement again, not the
 * original, at every call a recursion that ends in a {@code StackOverflowError}, where the author meant
 * the original code, which {@code @Next} gives. Only a warning: the replacement of a recursive method
 * may mean exactly that (each level runs the new version). Read from the class files, so that the
 * command (before anything is sent) and the target's load say the same. What it sees: a direct call in
 * the replacement's own code, of the target's name and descriptor (as given, or read from the
 * replacement's own: its parameters less the receiver and {@code @Next}), on the target class, or for
 * an instance method on the receiver parameter's type. Not a call made in a lambda or another method
 * the replacement calls, nor through reflection or a method handle.
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
     * @param callsItsTarget   whether the replacement's own code calls the method it replaces directly
     *                         ({@link #selfCallWarnings})
     */
    public record Entry(String patchClass, String target, String method, String descriptor, String replacement,
                 String replacementDesc, boolean next, int[] nextParameters, boolean callsItsTarget) {
    }

    /**
     * What is wrong with one annotated method: a malformed annotation is an INVALID_PATCH, a method
     * that cannot be a replacement (not public static, native) a SIGNATURE_MISMATCH.
     */
    private record Problem(Reason reason, String text) {
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
        ClassFileCheck.checkOwnUsesOfOutside(jar, PatchJarLoader.carriedClasses(jar));
        List<Entry> entries = scan(jar);
        for (Entry e : entries) {
            if (jar.classes().containsKey(e.target().replace('.', '/'))) {
                // The patch's class loader looks in the JAR first: the copy would hide the target from
                // the patch, and be patched itself, in the patch's own loader.
                throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source())
                        + " carries its own copy of " + e.target() + ", the class it patches, which would hide the"
                        + " application's: remove " + e.target().replace('.', '/') + ".class from the JAR");
            }
        }
        return entries;
    }

    public static List<Entry> scan(PatchJar jar) throws PatchException {
        List<Entry> entries = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        for (String patchClass : jar.patchClasses()) {
            scan(jar, patchClass, entries, problems);
        }
        if (!problems.isEmpty()) {
            // One refusal names every problem; a malformed annotation among them makes the JAR invalid.
            Reason reason = problems.stream().anyMatch(p -> p.reason() == Reason.INVALID_PATCH)
                    ? Reason.INVALID_PATCH : Reason.SIGNATURE_MISMATCH;
            throw new PatchException(reason, jar.name(), PatchJar.about(jar.source()) + ": "
                    + String.join("; ", problems.stream().map(Problem::text).toList()));
        }
        if (entries.isEmpty()) {
            throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": "
                    + String.join(", ", jar.patchClasses()) + " has no method annotated @io.jlivepatch.Replaces:"
                    + " annotate each public static replacement with @Replaces(target = ..., method = ...)");
        }
        return entries;
    }

    /**
     * One warning line per replacement of {@code entries} that calls its target; empty when none does,
     * and for a JAR {@code jlivepatch build} made ({@link PatchJar#NEW_BUILD} in its manifest): there such a
     * call is the new build's own recursion, which the patch keeps as a restart would (each level runs
     * the new version), and the build has said so in its own words.
     */
    public static List<String> selfCallWarnings(PatchJar jar, List<Entry> entries) {
        if (jar.builds().containsKey(PatchJar.NEW_BUILD)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.callsItsTarget()) {
                out.add(selfCallWarning(e.patchClass() + "." + e.replacement(), e.target() + "." + e.method()
                        + e.descriptor()));
            }
        }
        return out;
    }

    /** The warning for {@code replacement} (class.method) calling {@code target}, the method it replaces. */
    static String selfCallWarning(String replacement, String target) {
        return replacement + " calls " + target + ", the method it replaces: that call runs the replacement again,"
                + " not the original (a StackOverflowError, unless it recurses on purpose); to call the original,"
                + " give it a last parameter '@Next MethodHandle next' and invoke that";
    }

    private static void scan(PatchJar jar, String patchClass, List<Entry> entries, List<Problem> problems)
            throws PatchException {
        byte[] bytes = jar.classes().get(patchClass.replace('.', '/'));
        List<Entry> found = new ArrayList<>();
        List<Problem> wrong = new ArrayList<>();
        try {
            read(bytes, patchClass, found, wrong, true);
        } catch (RuntimeException | StackOverflowError unreadableCode) {
            // Code ASM cannot read is refused by the checks (ClassFileCheck.parseAll) where they come
            // first; without them the annotations are read as before the code was, and no replacement
            // is said to call its target (only a hint).
            found.clear();
            wrong.clear();
            try {
                read(bytes, patchClass, found, wrong, false);
            } catch (RuntimeException | StackOverflowError e) {
                // ASM on a corrupt class file: index out of bounds, illegal arguments, ...
                throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": the"
                        + " annotations of " + patchClass + " cannot be read: " + Failures.describe(e)
                        + "; build the patch again", e);
            }
        }
        entries.addAll(found);
        problems.addAll(wrong);
    }

    /** Reads {@code bytes}' annotated methods into {@code entries}; their code too when {@code code}. */
    private static void read(byte[] bytes, String patchClass, List<Entry> entries, List<Problem> problems,
                             boolean code) {
        new ClassReader(bytes).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                return new MethodVisitor(Opcodes.ASM9) {
                    /** The @Replaces values, or null when the method has none. */
                    private Map<String, String> values;
                    /** The parameters annotated @Next (visible, as reflection would see them), in order. */
                    private final List<Integer> next = new ArrayList<>();
                    /** The replaced method's name while its replacement's code is read; null for another method. */
                    private String replaced;
                    /** The target class (internal name) and the receiver parameter's type, null for none. */
                    private String owner;
                    private String receiver;
                    /** The target's descriptor if it is static, and if it is an instance method (null for none). */
                    private String asStatic;
                    private String asInstance;
                    private boolean callsItsTarget;

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

                    // After every annotation of the method and its parameters: ASM visits them before the code.
                    @Override
                    public void visitCode() {
                        if (values == null || values.getOrDefault("target", "").isBlank()
                                || values.getOrDefault("method", "").isBlank()) {
                            return; // no @Replaces, or one without target or method (refused in visitEnd)
                        }
                        Type[] args = Type.getArgumentTypes(descriptor);
                        if (lastIsNext(nextParameters())) {
                            args = Arrays.copyOf(args, args.length - 1); // @Next: not one of the target's
                        }
                        Type ret = Type.getReturnType(descriptor);
                        String given = values.getOrDefault("descriptor", "").trim();
                        replaced = values.get("method").trim();
                        owner = values.get("target").trim().replace('.', '/');
                        // Without a descriptor the target may be static (every parameter its own) or an instance
                        // method (the first parameter its receiver): both readings count.
                        asStatic = given.isEmpty() ? Type.getMethodDescriptor(ret, args) : given;
                        asInstance = args.length == 0 ? null : given.isEmpty()
                                ? Type.getMethodDescriptor(ret, Arrays.copyOfRange(args, 1, args.length)) : given;
                        receiver = args.length > 0 && args[0].getSort() == Type.OBJECT ? args[0].getInternalName()
                                : null;
                    }

                    @Override
                    public void visitMethodInsn(int opcode, String calledOwner, String called, String desc,
                                                boolean itf) {
                        if (replaced == null || !called.equals(replaced)) {
                            return;
                        }
                        if (opcode == Opcodes.INVOKESTATIC) {
                            callsItsTarget |= calledOwner.equals(owner) && desc.equals(asStatic);
                        } else if (opcode == Opcodes.INVOKEVIRTUAL || opcode == Opcodes.INVOKEINTERFACE) {
                            callsItsTarget |= (calledOwner.equals(owner) || calledOwner.equals(receiver))
                                    && desc.equals(asInstance);
                        }
                    }

                    private int[] nextParameters() {
                        int[] nexts = new int[next.size()];
                        for (int i = 0; i < nexts.length; i++) {
                            nexts[i] = next.get(i);
                        }
                        return nexts;
                    }

                    private boolean lastIsNext(int[] nexts) {
                        return nexts.length > 0
                                && nexts[nexts.length - 1] == Type.getArgumentTypes(descriptor).length - 1;
                    }

                    // After the parameters' annotations, which ASM visits after the method's, and the code.
                    @Override
                    public void visitEnd() {
                        if (values == null) {
                            return;
                        }
                        // The patch class's own names are any the class file holds: escaped, as every value quoted
                        String where = Text.clean(patchClass + "." + name + descriptor);
                        if ((access & Opcodes.ACC_PUBLIC) == 0 || (access & Opcodes.ACC_STATIC) == 0) {
                            problems.add(new Problem(Reason.SIGNATURE_MISMATCH, where + " is annotated @Replaces but"
                                    + " is not public static: declare it 'public static'"));
                        } else if ((access & Opcodes.ACC_NATIVE) != 0) {
                            // The JVM links a native method lazily: the JAR would load and every call of the
                            // patched method throw UnsatisfiedLinkError while status says PATCHED.
                            problems.add(new Problem(Reason.SIGNATURE_MISMATCH, where + " is annotated @Replaces but"
                                    + " is declared native: a patch brings no native library, so every call would"
                                    + " throw UnsatisfiedLinkError; give it a body in Java"));
                        } else if (values.getOrDefault("target", "").isBlank()
                                || values.getOrDefault("method", "").isBlank()) {
                            problems.add(new Problem(Reason.INVALID_PATCH, where + ": @Replaces needs target and"
                                    + " method: name the class and the method it replaces, e.g. @Replaces(target ="
                                    + " \"com.acme.Greeter\", method = \"greet\")"));
                        } else if (unwritten(values) != null) {
                            // Such a name is no class's or method's javac writes, and every message after this one
                            // (not loaded, no such method, replaced twice) would carry it raw.
                            String key = unwritten(values);
                            problems.add(new Problem(Reason.INVALID_PATCH, where + ": @Replaces " + key + " "
                                    + PatchJar.quote(values.get(key).trim()) + " holds whitespace or a control or"
                                    + " invisible character, which no name javac writes has: write it as the"
                                    + " application's source names it"));
                        } else {
                            // A misplaced @Next is refused at registration (SignatureCheck.problem, from these
                            // indices); here it only must not be taken for a target's parameter.
                            int[] nexts = nextParameters();
                            entries.add(new Entry(patchClass, values.get("target").trim(), values.get("method").trim(),
                                    values.getOrDefault("descriptor", "").trim(), name, descriptor, lastIsNext(nexts),
                                    nexts, callsItsTarget));
                        }
                    }
                };
            }
        }, (code ? 0 : ClassReader.SKIP_CODE) | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
    }

    /**
     * The first of @Replaces' target, method and descriptor (trimmed) that holds whitespace, a control
     * or a format character (a line break, an escape, a bidi override, a zero-width space) or an unpaired
     * surrogate, or null.
     */
    private static String unwritten(Map<String, String> values) {
        for (String key : new String[] {"target", "method", "descriptor"}) {
            String v = values.getOrDefault(key, "").trim();
            // No stream or lambda: start-up loads come this way (their first use spins classes)
            for (int i = 0; i < v.length(); ) {
                int c = v.codePointAt(i);
                if (Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)
                        || Character.getType(c) == Character.FORMAT
                        || Character.getType(c) == Character.SURROGATE) { // a pair is one code point, not this
                    return key;
                }
                i += Character.charCount(c);
            }
        }
        return null;
    }
}
