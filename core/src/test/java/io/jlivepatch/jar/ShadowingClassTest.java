package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A patch JAR never defines, nor has checked, a class named like one the application or the JDK
 * has, and never lists a new class it would not carry (hostile-input finding F8): the checks of
 * its classes ran against the JAR's class of such a name, the code defined for good against the
 * existing one, and a JDK nestmate checked against a fake {@code java.util.RandomAccess} crashed
 * the JVM. Each is refused at load, before anything is defined or opened.
 */
class ShadowingClassTest {

    /** The JDK package the tests' carriers join: opened to jlivepatch only when a carrier is defined. */
    private static final String JDK_PACKAGE = "java.util.zip";

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void aFakeJdkClassListedAsNewButNeverCarriedIsRefusedAndTheJvmRunsOn() throws Exception {
        // the shape of fix-crash: a JDK nestmate that treats a List as a java.io.File, which the
        // check passed because the JAR's own java.util.RandomAccess extends File
        String carrier = "java.util.zip.LpCrash";
        Map<String, String> manifest = Jars.manifest("fake-random-access", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=java.util.zip.CRC32");
        manifest.put("Livepatch-New-Classes", "java.util.RandomAccess");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("java/util/zip/LpCrash.class", crashingCarrier(carrier));
        entries.put("java/util/RandomAccess.class", subclass("java.util.RandomAccess", "java/io/File"));
        Path jar = Jars.write(dir.resolve("fake.jar"), manifest, entries);

        boolean open = openToJlivepatch();
        Jars.refused(jar, Reason.INVALID_PATCH, "Livepatch-New-Classes names 'java.util.RandomAccess', which would"
                + " never be carried into the application", "(java.util.zip)", "leave the class out of the JAR");
        assertEquals(open, openToJlivepatch(), "the refusal opened " + JDK_PACKAGE);
        List<Object> list = new ArrayList<>();
        assertTrue(list instanceof RandomAccess, "the JDK's RandomAccess is the one in use");
        assertEquals(1, new Counter().next());
    }

    /**
     * A nestmate of a JDK class outside java.* (javax.crypto.spec: the boot loader's, unverified there)
     * beside the JAR's own class of a JDK name that is not listed as new: checked against the JAR's fake
     * (a GCMParameterSpec that is an Enum), it ran against the JDK's, took a byte[] for a String and
     * crashed the JVM (a review's finding). Checked as it runs, in the boot loader, it is refused, and
     * nothing of it is defined.
     */
    @Test
    void aBootNestmateOutsideJavaPackagesIsCheckedAgainstTheJdksClassesNotTheJars() throws Exception {
        String carrier = "javax.crypto.spec.LpConfuse";
        Map<String, String> manifest = Jars.manifest("fake-gcm-spec", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=javax.crypto.spec.SecretKeySpec");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("javax/crypto/spec/LpConfuse.class", enumNameOfGcmSpec(carrier));
        entries.put("javax/crypto/spec/GCMParameterSpec.class", fakeGcmSpec());
        Path jar = Jars.write(dir.resolve("gcm.jar"), manifest, entries);
        new Counter().next(); // the target loaded, as in a running application
        // Refused before it is checked: the host's loader finds the JDK's class of that name, never the JAR's
        Jars.refused(jar, Reason.INVALID_PATCH, "class 'javax.crypto.spec.LpConfuse'", "uses"
                + " 'javax.crypto.spec.GCMParameterSpec', a class of the JAR that is not carried there",
                "that loader gives the JDK's own class of that name (loader bootstrap)");
        assertEquals(1, new Counter().next());
        assertEquals(16, new javax.crypto.spec.GCMParameterSpec(128, new byte[12]).getTLen() / 8);
    }

    /**
     * A boot-hosted nestmate whose code (not its signatures) uses an application class: the boot loader
     * cannot see it, so every call would throw NoClassDefFoundError while status said PATCHED (a
     * review's probe). Refused at load, naming the class.
     */
    @Test
    void aBootNestmateUsingAnApplicationClassItCannotSeeIsRefused() throws Exception {
        String carrier = "javax.crypto.spec.LpUsesCounter";
        Map<String, String> manifest = Jars.manifest("boot-uses-app", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=javax.crypto.spec.SecretKeySpec");
        Path jar = Jars.write(dir.resolve("boot-uses-app.jar"), manifest,
                Map.of("javax/crypto/spec/LpUsesCounter.class", replacementOfNext(carrier, mv -> {
                    mv.visitTypeInsn(Opcodes.NEW, "jarapp/Counter");
                    mv.visitInsn(Opcodes.DUP);
                    mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "jarapp/Counter", "<init>", "()V", false);
                    mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/Counter", "next", "()I", false);
                })));
        new Counter().next();
        Jars.refused(jar, Reason.INVALID_PATCH, "class javax.crypto.spec.LpUsesCounter, which the JDK's class loader of"
                + " its host defines, uses jarapp.Counter, which that loader cannot see");
        assertEquals(1, new Counter().next());
    }

    /**
     * The same carrier without the JAR's fake, using the JDK's classes as they are: a boot-hosted
     * nestmate outside java.* still loads, enables and runs.
     */
    @Test
    void aBootNestmateOutsideJavaPackagesThatUsesTheJdksClassesRuns() throws Exception {
        String carrier = "javax.crypto.spec.LpTagLength";
        Map<String, String> manifest = Jars.manifest("gcm-tag-length", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=javax.crypto.spec.SecretKeySpec");
        Path jar = Jars.write(dir.resolve("gcm-ok.jar"), manifest,
                Map.of("javax/crypto/spec/LpTagLength.class", tagLengthOfGcmSpec(carrier)));
        io.jlivepatch.PatchHandle h = Jars.lp().load(jar);
        h.enable();
        assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(30)));
        assertEquals(128, new Counter().next());
        h.disable();
        assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(30)));
        h.unregister();
    }

    @Test
    void aNewClassNamedLikeAJdkClassIsRefusedBeforeItsPackageIsOpened() throws Exception {
        String carrier = "java.util.zip.LpCarrier";
        Map<String, String> manifest = Jars.manifest("fake-checksum", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=java.util.zip.CRC32");
        manifest.put("Livepatch-New-Classes", "java.util.zip.Checksum");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("java/util/zip/LpCarrier.class", crashingCarrier(carrier));
        entries.put("java/util/zip/Checksum.class", subclass("java.util.zip.Checksum", "java/lang/Object"));
        Path jar = Jars.write(dir.resolve("checksum.jar"), manifest, entries);

        boolean open = openToJlivepatch();
        Jars.refused(jar, Reason.INVALID_PATCH, "class 'java.util.zip.Checksum', which the patch carries as new",
                "already exists in the running application or the JDK (loader bootstrap)",
                "never shadows a class");
        assertEquals(open, openToJlivepatch(), "the refusal opened " + JDK_PACKAGE);
    }

    @Test
    void aNewClassNamedLikeAnApplicationClassIsRefused() throws Exception {
        String carrier = "jarapp.ShadowCarrier";
        Map<String, String> manifest = Jars.manifest("fake-callback-log", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=jarapp.Counter");
        manifest.put("Livepatch-New-Classes", "jarapp.CallbackLog");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("jarapp/ShadowCarrier.class", Jars.patchClass(carrier, Jars::returnsMinusOne));
        entries.put("jarapp/CallbackLog.class", subclass("jarapp.CallbackLog", "java/lang/Object"));
        Path jar = Jars.write(dir.resolve("callbacklog.jar"), manifest, entries);
        Jars.refused(jar, Reason.INVALID_PATCH, "class 'jarapp.CallbackLog', which the patch carries as new",
                "already exists in the running application or the JDK (loader app@", "never shadows a class");
    }

    @Test
    void aNestmateNamedLikeAnApplicationClassIsRefused() throws Exception {
        // a hidden class may share a name, but the check of the JAR would take it for the existing class
        // (in its host's package, which a nestmate must be in)
        String carrier = "jarapp.Untouched";
        Map<String, String> manifest = Jars.manifest("fake-fix", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=jarapp.Counter");
        Path jar = Jars.write(dir.resolve("fakefix.jar"), manifest,
                Map.of("jarapp/Untouched.class", Jars.patchClass(carrier, Jars::returnsMinusOne)));
        Jars.refused(jar, Reason.INVALID_PATCH, "class 'jarapp.Untouched', which Livepatch-Nestmates defines"
                + " as a hidden nestmate, has the name of a class the running application or the JDK has (loader"
                + " app@", "give the patch class a name of its own");
    }

    @Test
    void aNestmateNamedLikeAJdkClassIsRefused() throws Exception {
        String carrier = "java.util.zip.Adler32";
        Map<String, String> manifest = Jars.manifest("fake-adler", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=java.util.zip.CRC32");
        Path jar = Jars.write(dir.resolve("adler.jar"), manifest,
                Map.of("java/util/zip/Adler32.class", crashingCarrier(carrier)));
        boolean open = openToJlivepatch();
        Jars.refused(jar, Reason.INVALID_PATCH, "class 'java.util.zip.Adler32', which Livepatch-Nestmates defines"
                + " as a hidden nestmate", "(loader bootstrap)");
        assertEquals(open, openToJlivepatch(), "the refusal opened " + JDK_PACKAGE);
    }

    @Test
    void aClassNamedLikeOneTheApplicationCannotLoadIsRefused() throws Exception {
        // jarapp.Unloadable is on the class path, extending a class that is not: it exists all the same
        Path classes = Path.of(Counter.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path unloadable = classes.resolve("jarapp/Unloadable.class");
        Files.write(unloadable, subclass("jarapp.Unloadable", "jarapp/Missing"));
        try {
            String carrier = "jarapp.Unloadable";
            Map<String, String> manifest = Jars.manifest("fake-unloadable", carrier);
            manifest.put("Livepatch-Nestmates", carrier + "=jarapp.Counter");
            Path jar = Jars.write(dir.resolve("unloadable.jar"), manifest,
                    Map.of("jarapp/Unloadable.class", Jars.patchClass(carrier, Jars::returnsMinusOne)));
            Jars.refused(jar, Reason.INVALID_PATCH, "class 'jarapp.Unloadable', which the patch defines outside"
                    + " its own class loader, has the name of a class of the running application, which cannot be"
                    + " loaded", "jarapp/Missing", "give the patch's class a name of its own");
        } finally {
            Files.delete(unloadable);
        }
    }

    /** Whether java.util.zip is open to jlivepatch (here: the tests' unnamed module), as defining a carrier there makes it. */
    private static boolean openToJlivepatch() {
        return java.util.zip.CRC32.class.getModule().isOpen(JDK_PACKAGE, Jars.class.getModule());
    }

    /**
     * {@code @Replaces(target = "jarapp.Counter", method = "next") static int next(Object self)}
     * that casts an empty List to java.util.RandomAccess and uses it as a java.io.File.
     */
    private static byte[] crashingCarrier(String binaryName) {
        return replacementOfNext(binaryName, mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/util/Collections", "emptyList", "()Ljava/util/List;", false);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "java/util/RandomAccess");
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/io/File", "getPath", "()Ljava/lang/String;", false);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/String", "length", "()I", false);
        });
    }

    /**
     * {@code @Replaces(target = "jarapp.Counter", method = "next") static int next(Object self)} that
     * calls {@code Enum.name()} on a new {@code javax.crypto.spec.GCMParameterSpec} and returns its
     * length: valid only against a GCMParameterSpec that is an Enum.
     */
    private static byte[] enumNameOfGcmSpec(String binaryName) {
        return replacementOfNext(binaryName, mv -> {
            newGcmSpec(mv);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/Enum", "name", "()Ljava/lang/String;", false);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/String", "length", "()I", false);
        });
    }

    /** As above, returning the JDK's {@code GCMParameterSpec.getTLen()}: 128. */
    private static byte[] tagLengthOfGcmSpec(String binaryName) {
        return replacementOfNext(binaryName, mv -> {
            newGcmSpec(mv);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "javax/crypto/spec/GCMParameterSpec", "getTLen", "()I", false);
        });
    }

    private static void newGcmSpec(MethodVisitor mv) {
        mv.visitTypeInsn(Opcodes.NEW, "javax/crypto/spec/GCMParameterSpec");
        mv.visitInsn(Opcodes.DUP);
        mv.visitIntInsn(Opcodes.SIPUSH, 128);
        mv.visitIntInsn(Opcodes.BIPUSH, 12);
        mv.visitIntInsn(Opcodes.NEWARRAY, Opcodes.T_BYTE);
        mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "javax/crypto/spec/GCMParameterSpec", "<init>", "(I[B)V", false);
    }

    /** A class whose {@code @Replaces} {@code static int next(Object self)} runs {@code body}, which leaves an int. */
    private static byte[] replacementOfNext(String binaryName, java.util.function.Consumer<MethodVisitor> body) {
        return Jars.patchClass(binaryName, "Ljava/lang/Object;", mv -> {
            body.accept(mv);
            mv.visitInsn(Opcodes.IRETURN);
        }, null);
    }

    /** {@code public class javax.crypto.spec.GCMParameterSpec extends Enum { public GCMParameterSpec(int, byte[]) } }: a fake. */
    private static byte[] fakeGcmSpec() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "javax/crypto/spec/GCMParameterSpec", null,
                "java/lang/Enum", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "(I[B)V", null, null);
        mv.visitCode();
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitLdcInsn("fake");
        mv.visitInsn(Opcodes.ICONST_0);
        mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Enum", "<init>", "(Ljava/lang/String;I)V", false);
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** An empty public class extending {@code superName} (internal name). */
    private static byte[] subclass(String binaryName, String superName) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, binaryName.replace('.', '/'), null, superName,
                null);
        cw.visitEnd();
        return cw.toByteArray();
    }
}
