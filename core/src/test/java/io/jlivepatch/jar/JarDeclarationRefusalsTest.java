package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a patch JAR declares, in its annotations or its manifest, that cannot be a patch: refused
 * at load with what to fix, nothing registered, no hook, the refusal on record ({@link Jars#refused}).
 */
class JarDeclarationRefusalsTest {

    private static final String FIX = "jarapp.fix.DeclaredFix";

    @TempDir
    Path dir;

    @BeforeEach
    void counterLoaded() {
        assertEquals(1, new Counter().next(), "its own code runs");
    }

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    /** A malformed annotation, not a replacement whose signature does not fit: INVALID_PATCH (it was SIGNATURE_MISMATCH). */
    @Test
    void aReplacesWithoutItsMethodSaysToGiveTargetAndMethod() throws Exception {
        Jars.refused(jar("no-method", replaces(av -> av.visit("target", "jarapp.Counter")), Map.of()),
                PatchException.Reason.INVALID_PATCH, FIX + ".next(Ljarapp/Counter;)I: @Replaces needs target and method:"
                + " name the class and the method it replaces, e.g. @Replaces(target = \"com.acme.Greeter\", method ="
                + " \"greet\")");
        // a blank one, as javac lets a source write it, the same
        Jars.refused(jar("blank-target", replaces(av -> {
            av.visit("target", " ");
            av.visit("method", "next");
        }), Map.of()), PatchException.Reason.INVALID_PATCH, "@Replaces needs target and method");
    }

    @Test
    void aReplacesTargetWrittenAsAnInternalNameSaysHowToWriteIt() throws Exception {
        Jars.refused(jar("internal-name", replaces(av -> {
            av.visit("target", "jarapp/Counter");
            av.visit("method", "next");
            av.visit("descriptor", "()I");
        }), Map.of()), PatchException.Reason.INVALID_PATCH, "target class 'jarapp/Counter' is not a binary class"
                + " name: write it as com.acme.Greeter");
    }

    /**
     * A @Replaces value with a line break (MutatedJarTest, seed 117012090415303: a pool string made
     * 'a&lt;line break&gt;b') names no class or method javac writes. Before, such a target loaded as a class not
     * loaded yet, and a load required loaded refused it in a message of two lines, the name raw.
     */
    @Test
    void aReplacesValueWithALineBreakOrAControlCharacterIsRefusedNamingItEscaped() throws Exception {
        Jars.refused(jar("line-break-target", replaces(av -> {
            av.visit("target", "jarapp.Count\ner");
            av.visit("method", "next");
        }), Map.of()), PatchException.Reason.INVALID_PATCH, FIX + ".next(Ljarapp/Counter;)I: @Replaces target"
                + " 'jarapp.Count\\ner' holds whitespace or a control or invisible character");
        Jars.refused(jar("escape-method", replaces(av -> {
            av.visit("target", "jarapp.Counter");
            av.visit("method", "ne\u001bxt");
        }), Map.of()), PatchException.Reason.INVALID_PATCH, "@Replaces method 'ne\\ext' holds");
        Jars.refused(jar("bidi-descriptor", replaces(av -> {
            av.visit("target", "jarapp.Counter");
            av.visit("method", "next");
            av.visit("descriptor", "()I\u202e");
        }), Map.of()), PatchException.Reason.INVALID_PATCH, "@Replaces descriptor '()I\\u202e' holds");
    }

    @Test
    void aCallbackWithoutItsTargetClassSaysToNameIt() throws Exception {
        Consumer<ClassWriter> code = replaces(av -> {
            av.visit("target", "jarapp.Counter");
            av.visit("method", "next");
        }).andThen(cw -> {
            MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "prepare",
                    "(Ljava/lang/Class;)V", null, null);
            AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/PrePatch;", true);
            av.visit("value", "");
            av.visitEnd();
            mv.visitCode();
            mv.visitInsn(Opcodes.RETURN);
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        });
        Jars.refused(jar("callback-no-class", code, Map.of()), PatchException.Reason.INVALID_PATCH,
                FIX + ".prepare(Ljava/lang/Class;)V: @PrePatch needs the target class, e.g. @PrePatch(\"com.acme.Cache\")",
                "nothing was loaded");
    }

    @Test
    void aNestmatesEntryThatIsNoPairSaysWhatItMustBe() throws Exception {
        Jars.refused(jar("nestmate-no-pair", replaces(av -> {
            av.visit("target", "jarapp.Counter");
            av.visit("method", "next");
        }), Map.of("Livepatch-Nestmates", FIX)), PatchException.Reason.INVALID_PATCH, "Livepatch-Nestmates entry '"
                + FIX + "' is not patchClass=targetClass for a class of the JAR");
    }

    /** Patch.Hold's refusal, which the load passes on, quotes the manifest's value escaped. */
    @Test
    void aLivepatchHoldWithAControlCharacterIsRefusedNamingItEscaped() throws Exception {
        String message = Jars.refused(jar("escape-hold", replaces(av -> {
            av.visit("target", "jarapp.Counter");
            av.visit("method", "next");
        }), Map.of("Livepatch-Hold", "jarapp.Coun\u001b[2Jter.next()I")), PatchException.Reason.INVALID_PATCH,
                "Livepatch-Hold: held class 'jarapp.Coun\\e[2Jter' is not a binary class name");
        for (int i = 0; i < message.length(); i++) {
            org.junit.jupiter.api.Assertions.assertFalse(io.jlivepatch.internal.Text.needsEscape(message, i),
                    "a control at " + i + ": " + message);
        }
    }

    /** A replacement {@code public static int next(Counter)} returning -1, its @Replaces written by {@code values}. */
    private static Consumer<ClassWriter> replaces(Consumer<AnnotationVisitor> values) {
        return cw -> {
            MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "next", "(Ljarapp/Counter;)I",
                    null, null);
            AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
            values.accept(av);
            av.visitEnd();
            mv.visitCode();
            mv.visitInsn(Opcodes.ICONST_M1);
            mv.visitInsn(Opcodes.IRETURN);
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        };
    }

    private Path jar(String name, Consumer<ClassWriter> methods, Map<String, String> attributes) throws Exception {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, FIX.replace('.', '/'), null,
                "java/lang/Object", null);
        methods.accept(cw);
        cw.visitEnd();
        Map<String, String> manifest = new LinkedHashMap<>(Jars.manifest(name, FIX));
        manifest.putAll(attributes);
        return Jars.write(dir.resolve(name + ".jar"), manifest, Map.of(FIX.replace('.', '/') + ".class",
                cw.toByteArray()));
    }
}
