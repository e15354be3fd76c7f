package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.Text;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JVM takes an escape, a BEL and other controls in a class's, a package's and a member's name, and
 * MemberReferences' refusals quote such names from the patch JAR's class files: each is escaped as
 * {@link Text#clean} writes it, once, and the refusal is one clean line. Before, each name reached the
 * API caller, the log and the audit raw (a terminal acted on the escape).
 */
class EscapedMemberReferencesTest {

    private static final String FIX = "jarapp.fix.HostileNamesFix";

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void aMissingMemberAndTheClassUsingItAreNamedEscaped() throws Exception {
        String user = "jarapp/fix/Ref\u001bHel\u0007per";
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(FIX.replace('.', '/') + ".class", Jars.patchClass(FIX, mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, user, "value", "()Ljava/lang/Object;", false);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        }));
        entries.put(user + ".class", Jars.helperClass(user, mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Counter", "pre\u001bvi\u0007ous", "()I", false);
            mv.visitInsn(Opcodes.POP);
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitInsn(Opcodes.ARETURN);
        }));
        // "the running" or "the application's ... not loaded yet": whether an earlier test loaded Counter
        assertOneCleanLine(Jars.refused(write("missing", entries), Reason.SIGNATURE_MISMATCH,
                "class jarapp.fix.Ref\\eHel\\u0007per uses method jarapp.Counter.pre\\evi\\u0007ous() returning int,"
                        + " which the ", " jarapp.Counter (loader ", "does not have (symbol not found)"));
    }

    @Test
    void aPrivateMemberOfTheJarAcrossPackagesIsNamedEscaped() throws Exception {
        String helper = "jarapp/fix\u001bhelp/Hel\u0007per";
        String hidden = "hid\u001bden";
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(FIX.replace('.', '/') + ".class", Jars.patchClass(FIX, callsStatic(helper, hidden)));
        entries.put(helper + ".class", holder(helper, Opcodes.ACC_PUBLIC, hidden, Opcodes.ACC_PRIVATE));
        String escaped = "jarapp.fix\\ehelp.Hel\\u0007per";
        assertOneCleanLine(Jars.refused(write("private", entries), Reason.INVALID_PATCH, "class " + FIX
                + " uses method " + escaped + ".hid\\eden() returning int, which it cannot access: it is private, and "
                + escaped + ", a class of the patch JAR too, is in another package (jarapp.fix\\ehelp, not"
                + " jarapp.fix)", "Make it public, or put both classes in one package"));
    }

    @Test
    void aProtectedMemberOfTheJarAcrossPackagesIsNamedEscapedOnceInTheReasonToo() throws Exception {
        String helper = "jarapp/fix\u001bhelp/Hel\u0007per";
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(FIX.replace('.', '/') + ".class", Jars.patchClass(FIX, callsStatic(helper, "gu\u0007arded")));
        entries.put(helper + ".class", holder(helper, Opcodes.ACC_PUBLIC, "gu\u0007arded", Opcodes.ACC_PROTECTED));
        String escaped = "jarapp.fix\\ehelp.Hel\\u0007per";
        assertOneCleanLine(Jars.refused(write("protected", entries), Reason.INVALID_PATCH, "class " + FIX
                + " uses method " + escaped + ".gu\\u0007arded() returning int, which it cannot access: it is"
                + " protected, and " + FIX + " is not a subclass of " + escaped + ", and " + escaped + ", a class of"
                + " the patch JAR too, is in another package (jarapp.fix\\ehelp, not jarapp.fix)"));
    }

    @Test
    void aClassOfTheJarThatIsNotPublicIsNamedEscaped() throws Exception {
        String hidden = "jarapp/fix\u001bhelp/Hid\u0007den";
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(FIX.replace('.', '/') + ".class", Jars.patchClass(FIX, callsStatic(hidden, "open")));
        entries.put(hidden + ".class", holder(hidden, 0, "open", Opcodes.ACC_PUBLIC));
        String escaped = "jarapp.fix\\ehelp.Hid\\u0007den";
        assertOneCleanLine(Jars.refused(write("not-public", entries), Reason.INVALID_PATCH, "class " + FIX
                + " uses class " + escaped + ", which it cannot access: not public, and " + escaped + ", a class of"
                + " the patch JAR too, is in another package (jarapp.fix\\ehelp, not jarapp.fix)", "Make " + escaped
                + " public, or put both classes in one package"));
    }

    @Test
    void aJdkMemberThePatchCannotAccessIsNamedEscaped() throws Exception {
        Map<String, byte[]> entries = Map.of(FIX.replace('.', '/') + ".class", Jars.patchClass(FIX, mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/util/ImmutableCollections", "list\u001bCo\u0007py",
                    "(Ljava/util/Collection;)Ljava/util/List;", false);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        }));
        assertOneCleanLine(Jars.refused(write("jdk", entries), Reason.INVALID_PATCH, "class " + FIX + " uses method"
                + " java.util.ImmutableCollections.list\\eCo\\u0007py(java.util.Collection) returning java.util.List,"
                + " which it cannot access: its class is not public", "Use only the JDK's public API"));
    }

    private Path write(String name, Map<String, byte[]> entries) throws Exception {
        return Jars.write(dir.resolve(name + ".jar"), Jars.manifest("hostile-" + name, FIX), entries);
    }

    private static java.util.function.Consumer<MethodVisitor> callsStatic(String owner, String method) {
        return mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, owner, method, "()I", false);
            mv.visitInsn(Opcodes.IRETURN);
        };
    }

    /** A class {@code internalName} of access {@code classAccess} with one static method {@code int method()}. */
    private static byte[] holder(String internalName, int classAccess, String method, int methodAccess) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, classAccess | Opcodes.ACC_SUPER, internalName, null, "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(methodAccess | Opcodes.ACC_STATIC, method, "()I", null, null);
        mv.visitCode();
        mv.visitIntInsn(Opcodes.BIPUSH, 7);
        mv.visitInsn(Opcodes.IRETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    private static void assertOneCleanLine(String message) {
        for (int i = 0; i < message.length(); i++) {
            assertTrue(!Text.needsEscape(message, i), "a control at " + i + ": " + message);
        }
    }
}
