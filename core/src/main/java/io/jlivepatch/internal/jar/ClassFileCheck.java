package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks every class file of a patch JAR at load, before anything of the patch is defined for
 * good: each is parsed, then defined and linked (so verified by the JVM) without being initialized.
 * A class that would fail later, at the first call of a replacement that uses it, is refused here.
 *
 * <p>Linking happens in a class loader of its own, dropped afterwards: a carried class
 * ({@code Livepatch-New-Classes}) is defined in the application's loader for good, and a class
 * that failed to link there could never be replaced, so it must be known good before. Classes of
 * {@code java.*} packages (carriers for JDK targets) cannot be defined outside the boot loader,
 * and the JVM does not verify the boot loader's classes: a renamed copy of them is verified.
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
        Map<String, byte[]> boot = new TreeMap<>();
        for (String entry : sorted(jar)) {
            String name = entry.replace('/', '.');
            if (name.startsWith("java.") && (jar.nestmates().containsKey(name) || jar.newClasses().contains(name))) {
                // defined in the boot loader: only a renamed copy can be verified (see RenamedClasses);
                // any other java.* class is refused below, as the JVM forbids it outside the boot loader
                boot.put(entry, jar.classes().get(entry));
                continue;
            }
            link(jar, name, () -> Class.forName(name, false, scratch));
        }
        if (!boot.isEmpty()) {
            RenamedClasses copies;
            try {
                copies = new RenamedClasses(boot, targetLoader);
            } catch (IOException e) {
                throw refuse(jar, "the classes of java.* packages cannot be read for checking: "
                        + Failures.describe(e) + "; build the patch again");
            }
            for (String entry : boot.keySet()) {
                link(jar, entry.replace('/', '.'),
                        () -> Class.forName(RenamedClasses.binaryName(entry), false, copies));
            }
        }
    }

    /** A class loaded for checking, by name. */
    private interface Load {
        Class<?> load() throws ClassNotFoundException;
    }

    private static void link(PatchJar jar, String name, Load load) throws PatchException {
        try {
            load.load().getDeclaredFields();
        } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
            String why = Failures.describe(e).replace(RenamedClasses.PREFIX, "")
                    .replace(RenamedClasses.PREFIX.replace('/', '.'), "");
            throw refuse(jar, "class " + name + " cannot be used: " + why + "; every class in the JAR must pass the"
                    + " JVM's verifier and use only classes of the JAR, the JDK or the target's class loader: build"
                    + " the patch again against the running application");
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
