package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks every class file of a patch JAR at load, before anything of the patch is defined for
 * good: each is parsed, then defined and linked (so verified by the JVM) without being initialized.
 * A class that would fail later, at the first call of a replacement that uses it, is refused here.
 *
 * <p>Linking happens in a class loader of its own, dropped afterwards: a carried class
 * ({@code Livepatch-New-Classes}) is defined in the application's loader for good, and a class
 * that failed to link there could never be replaced, so it must be known good before. Classes of
 * {@code java.*} packages (carriers for JDK targets) cannot be defined outside the boot loader and
 * are parsed only; the JVM does not verify classes of the boot loader either.
 */
final class ClassFileCheck {

    private ClassFileCheck() {
    }

    /** Parses every class file whole, code and annotations included; its name must match its entry. */
    static void parseAll(PatchJar jar) throws PatchException {
        for (String entry : sorted(jar)) {
            String file = entry + ".class";
            try {
                ClassReader reader = new ClassReader(jar.classes().get(entry));
                String declared = reader.getClassName();
                if (!entry.equals(declared)) {
                    throw refuse(jar, "entry " + PatchJar.quote(file) + " holds class " + PatchJar.quote(declared)
                            + ": a class file must sit at the path of its name");
                }
                reader.accept(new ReadEverything(), 0);
            } catch (RuntimeException | StackOverflowError e) {
                throw refuse(jar, "class file " + PatchJar.quote(file) + " cannot be parsed: " + Failures.describe(e)
                        + "; build the patch again");
            }
        }
    }

    /**
     * Defines and links every class of the JAR against {@code targetLoader} without initializing
     * any: {@code Class.forName(name, false, ...)} loads only, and {@code getDeclaredFields} has
     * HotSpot link the class (verifying it) before it reflects, while no static initializer runs.
     */
    static void linkAll(PatchJar jar, ClassLoader targetLoader) throws PatchException {
        PatchClassLoader scratch = new PatchClassLoader(jar, targetLoader);
        for (String entry : sorted(jar)) {
            String name = entry.replace('/', '.');
            if (name.startsWith("java.")) {
                // only a hidden nestmate of a JDK class or a class carried into the boot loader can be
                // here; anything else in java.* is refused where it is defined, as the JVM forbids it
                if (jar.nestmates().containsKey(name) || jar.newClasses().contains(name)) {
                    continue;
                }
            }
            try {
                Class.forName(name, false, scratch).getDeclaredFields();
            } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
                throw refuse(jar, "class " + name + " cannot be used: " + Failures.describe(e) + "; every class in"
                        + " the JAR must pass the JVM's verifier and use only classes of the JAR, the JDK or the"
                        + " target's class loader: build the patch again against the running application");
            }
        }
    }

    /** Visits nothing, but returns a visitor wherever ASM reads further only for one: code, annotations. */
    private static final class ReadEverything extends ClassVisitor {
        private static final AnnotationVisitor ANNOTATION = new AnnotationVisitor(Opcodes.ASM9) {
            @Override
            public AnnotationVisitor visitAnnotation(String name, String descriptor) {
                return this;
            }

            @Override
            public AnnotationVisitor visitArray(String name) {
                return this;
            }
        };

        ReadEverything() {
            super(Opcodes.ASM9);
        }

        @Override
        public AnnotationVisitor visitAnnotation(String descriptor, boolean visible) {
            return ANNOTATION;
        }

        @Override
        public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
            return new FieldVisitor(Opcodes.ASM9) {
                @Override
                public AnnotationVisitor visitAnnotation(String d, boolean visible) {
                    return ANNOTATION;
                }
            };
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                         String[] exceptions) {
            return new MethodVisitor(Opcodes.ASM9) {
                @Override
                public AnnotationVisitor visitAnnotation(String d, boolean visible) {
                    return ANNOTATION;
                }

                @Override
                public AnnotationVisitor visitParameterAnnotation(int parameter, String d, boolean visible) {
                    return ANNOTATION;
                }

                @Override
                public AnnotationVisitor visitAnnotationDefault() {
                    return ANNOTATION;
                }
            };
        }
    }

    private static List<String> sorted(PatchJar jar) {
        List<String> entries = new ArrayList<>(jar.classes().keySet());
        entries.sort(null);
        return entries;
    }

    private static PatchException refuse(PatchJar jar, String why) {
        return new PatchException(Reason.INVALID_PATCH, jar.name(), "patch JAR " + jar.source() + ": " + why);
    }
}
