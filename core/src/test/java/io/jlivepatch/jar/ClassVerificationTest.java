package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.PatchHandle;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.jlivepatch.jar.Jars.FIX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every class of a patch JAR passes the JVM's verifier at load, or the JAR is refused naming the
 * class: none fails later, at every call of the patched method. The bad classes are generated with
 * ASM so that javac's checks do not stand in the way.
 */
class ClassVerificationTest {

    private static final String VERIFIER = "fails the JVM's bytecode verifier";

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void aHelperClassThatFailsTheVerifierIsRefusedNamingIt() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>(Jars.classes(FIX));
        entries.put("jarapp/fix/BadHelper.class", Jars.helperClass("jarapp.fix.BadHelper", Jars::returnsIntAsObject));
        Path jar = Jars.write(dir.resolve("badhelper.jar"), Jars.manifest("bad-helper", FIX), entries);
        Jars.refused(jar, Reason.INVALID_PATCH, "class jarapp.fix.BadHelper cannot be used", VERIFIER,
                "Bad type on operand stack", "Location: jarapp/fix/BadHelper.value()Ljava/lang/Object; @1: areturn");
    }

    @Test
    void theJvmsWordsQuotingAHostileNameAreEscapedInTheRefusal() throws Exception {
        // Method names with a NUL (modified UTF-8 C0 80), a terminal's escape sequences and a carriage
        // return, quoted by the JVM's own message: the refusal holds them escaped, as PatchJar.quote does.
        // The parser refuses a '[' in a method name, quoting the name (ClassFormatError) ...
        String message = refusedWithMethod("parser", "va\u0000l\u001b[2J\rue", "it is not a well-formed class file",
                "Illegal method name \"va\\u0000l\\e[2J\\rue\" in class jarapp/fix/BadHelper");
        assertOneCleanLine(message);
        // ... and takes one without (nor ';'): the verifier then quotes it in its Location.
        message = refusedWithMethod("verifier", "va\u0000l\u001bc\u0007\rue", VERIFIER,
                "Location: jarapp/fix/BadHelper.va\\u0000l\\ec\\u0007\\rue()Ljava/lang/Object; @1: areturn");
        assertOneCleanLine(message);
    }

    @Test
    void aClassWhoseNameHoldsControlsIsNamedEscapedWhenItCannotBeUsed() throws Exception {
        // The JVM takes an escape and a BEL in a class name; the refusal named the class raw.
        String name = "jarapp.fix.Bad\u001bcHel\u0007per";
        Map<String, byte[]> entries = new LinkedHashMap<>(Jars.classes(FIX));
        entries.put(name.replace('.', '/') + ".class", Jars.helperClass(name, Jars::returnsIntAsObject));
        Path jar = Jars.write(dir.resolve("controlname.jar"), Jars.manifest("control-name", FIX), entries);
        assertOneCleanLine(Jars.refused(jar, Reason.INVALID_PATCH, "class jarapp.fix.Bad\\ecHel\\u0007per cannot be"
                + " used: it fails the JVM's bytecode verifier", "Location: jarapp/fix/Bad\\ecHel\\u0007per.value()"));
    }

    /** A JAR whose helper class has one method named {@code method} returning an int as an Object, refused. */
    private String refusedWithMethod(String file, String method, String... fragments) throws Exception {
        org.objectweb.asm.ClassWriter cw = new org.objectweb.asm.ClassWriter(org.objectweb.asm.ClassWriter.COMPUTE_MAXS);
        cw.visit(org.objectweb.asm.Opcodes.V1_8, org.objectweb.asm.Opcodes.ACC_PUBLIC, "jarapp/fix/BadHelper", null,
                "java/lang/Object", null);
        org.objectweb.asm.MethodVisitor mv = cw.visitMethod(org.objectweb.asm.Opcodes.ACC_PUBLIC
                | org.objectweb.asm.Opcodes.ACC_STATIC, method, "()Ljava/lang/Object;", null, null);
        mv.visitCode();
        Jars.returnsIntAsObject(mv);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        Map<String, byte[]> entries = new LinkedHashMap<>(Jars.classes(FIX));
        entries.put("jarapp/fix/BadHelper.class", cw.toByteArray());
        Path jar = Jars.write(dir.resolve(file + ".jar"), Jars.manifest("hostile-" + file, FIX), entries);
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(fragments));
        all.add(0, "class jarapp.fix.BadHelper cannot be used");
        return Jars.refused(jar, Reason.INVALID_PATCH, all.toArray(new String[0]));
    }

    private static void assertOneCleanLine(String message) {
        for (int i = 0; i < message.length(); i++) {
            assertTrue(!io.jlivepatch.internal.Text.needsEscape(message, i), "a control at " + i + ": " + message);
        }
    }

    @Test
    void aJdkClassThisJavaLacksIsRefusedWithTheReleaseAdvice() throws Exception {
        // Returning a java.util.SequencedList as an AbstractList: the verifier loads the class it
        // checks, which a JDK older than the compiler's does not have (second review: compiled with
        // javac 25 -target 17 but without --release, the advice was "build against the application").
        org.objectweb.asm.ClassWriter cw = new org.objectweb.asm.ClassWriter(org.objectweb.asm.ClassWriter.COMPUTE_MAXS);
        cw.visit(org.objectweb.asm.Opcodes.V17, org.objectweb.asm.Opcodes.ACC_PUBLIC, "jarapp/fix/NewerJava", null,
                "java/lang/Object", null);
        org.objectweb.asm.MethodVisitor mv = cw.visitMethod(org.objectweb.asm.Opcodes.ACC_STATIC, "list",
                "(Ljava/util/SequencedNoSuchList;)Ljava/util/AbstractList;", null, null);
        mv.visitCode();
        mv.visitVarInsn(org.objectweb.asm.Opcodes.ALOAD, 0);
        mv.visitInsn(org.objectweb.asm.Opcodes.ARETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        Map<String, byte[]> entries = new LinkedHashMap<>(Jars.classes(FIX));
        entries.put("jarapp/fix/NewerJava.class", cw.toByteArray());
        Path jar = Jars.write(dir.resolve("newerjava.jar"), Jars.manifest("newer-java", FIX), entries);
        Jars.refused(jar, Reason.INVALID_PATCH, "class jarapp.fix.NewerJava cannot be used",
                "java/util/SequencedNoSuchList, which this Java runtime (Java " + Runtime.version().feature()
                + ") does not have", "javac --release " + Runtime.version().feature());
    }

    @Test
    void aPatchClassThatPopsAnEmptyStackIsRefusedNamingIt() throws Exception {
        String fix = "jarapp.fix.PoppingFix";
        Path jar = Jars.write(dir.resolve("popping.jar"), Jars.manifest("popping", fix),
                Map.of("jarapp/fix/PoppingFix.class", Jars.patchClass(fix, Jars::popsEmptyStack)));
        Jars.refused(jar, Reason.INVALID_PATCH, "class jarapp.fix.PoppingFix cannot be used", VERIFIER);
    }

    @Test
    void theSameGeneratedPatchWithACorrectBodyLoadsAndWorks() throws Exception {
        String fix = "jarapp.fix.GeneratedFix";
        Path jar = Jars.write(dir.resolve("generated.jar"), Jars.manifest("generated", fix),
                Map.of("jarapp/fix/GeneratedFix.class", Jars.patchClass(fix, Jars::returnsMinusOne)));
        PatchHandle h = Jars.lp().load(jar);
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
        assertEquals(-1, new Counter().next());
    }

    @Test
    void aHiddenNestmateThatFailsTheVerifierIsRefusedNamingIt() throws Exception {
        String carrier = "jarapp.PoppingCarrier";
        Map<String, String> manifest = Jars.manifest("popping-carrier", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=jarapp.Counter");
        Path jar = Jars.write(dir.resolve("carrier.jar"), manifest,
                Map.of("jarapp/PoppingCarrier.class", Jars.patchClass(carrier, Jars::popsEmptyStack)));
        Jars.refused(jar, Reason.INVALID_PATCH, "class jarapp.PoppingCarrier cannot be used", VERIFIER);
    }

    @Test
    void aHiddenNestmateOfAJdkClassIsVerifiedThoughTheBootLoaderIsNot() throws Exception {
        // the JVM defines a hidden class of the boot loader unverified: a renamed copy is checked
        String carrier = "java.util.PoppingCarrier";
        Map<String, String> manifest = Jars.manifest("popping-jdk-carrier", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=java.util.HashMap");
        Path jar = Jars.write(dir.resolve("jdkcarrier.jar"), manifest,
                Map.of("java/util/PoppingCarrier.class", Jars.patchClass(carrier, Jars::popsEmptyStack)));
        String message = Jars.refused(jar, Reason.INVALID_PATCH, "class java.util.PoppingCarrier cannot be used",
                VERIFIER, "Location: java/util/PoppingCarrier.next(Ljarapp/Counter;)I @0: pop");
        assertTrue(!message.contains("jlivepatch_check"), "the copy's name is not shown: " + message);

        // the same carrier with a correct body passes the check; defined for real in the boot
        // loader, it then cannot see jarapp.Counter, which its method takes
        manifest.put("Livepatch-Name", "good-jdk-carrier");
        Path good = Jars.write(dir.resolve("goodjdkcarrier.jar"), manifest,
                Map.of("java/util/PoppingCarrier.class", Jars.patchClass(carrier, Jars::returnsMinusOne)));
        message = Jars.refused(good, Reason.INVALID_PATCH, "java.util.PoppingCarrier cannot be loaded",
                "jarapp/Counter");
        assertTrue(!message.contains("verifier"), message);
    }

    @Test
    void aCarriedNewClassThatFailsTheVerifierIsRefusedAndNotCarried() throws Exception {
        String carrier = "jarapp.GoodCarrier";
        Map<String, String> manifest = Jars.manifest("bad-new-class", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=jarapp.Counter");
        manifest.put("Livepatch-New-Classes", "jarapp.BadNewClass");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("jarapp/GoodCarrier.class", Jars.patchClass(carrier, Jars::returnsMinusOne));
        entries.put("jarapp/BadNewClass.class", Jars.helperClass("jarapp.BadNewClass", Jars::returnsIntAsObject));
        Path jar = Jars.write(dir.resolve("newclass.jar"), manifest, entries);
        Jars.refused(jar, Reason.INVALID_PATCH, "class jarapp.BadNewClass cannot be used", VERIFIER);
        assertThrows(ClassNotFoundException.class,
                () -> Class.forName("jarapp.BadNewClass", false, Counter.class.getClassLoader()),
                "a refused patch carried its class into the application's loader");
    }

    @Test
    void aHelperUsingAClassNobodyHasIsRefusedNamingBoth() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>(Jars.classes(FIX));
        entries.put("jarapp/fix/Orphan.class", orphan());
        Path jar = Jars.write(dir.resolve("orphan.jar"), Jars.manifest("orphan", FIX), entries);
        Jars.refused(jar, Reason.INVALID_PATCH, "class jarapp.fix.Orphan cannot be used",
                "neither in the JAR nor visible", "jarapp/fix/Missing");
    }

    /** A class extending one that exists nowhere. */
    private static byte[] orphan() {
        org.objectweb.asm.ClassWriter cw = new org.objectweb.asm.ClassWriter(0);
        cw.visit(org.objectweb.asm.Opcodes.V1_8, org.objectweb.asm.Opcodes.ACC_PUBLIC, "jarapp/fix/Orphan", null,
                "jarapp/fix/Missing", null);
        cw.visitEnd();
        return cw.toByteArray();
    }
}
