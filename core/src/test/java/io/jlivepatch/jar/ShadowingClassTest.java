package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.AnnotationVisitor;
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
        String carrier = Jars.FIX;
        Map<String, String> manifest = Jars.manifest("fake-fix", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=jarapp.Counter");
        Path jar = Jars.write(dir.resolve("fakefix.jar"), manifest,
                Map.of("jarapp/fix/CounterFix.class", Jars.patchClass(carrier, Jars::returnsMinusOne)));
        Jars.refused(jar, Reason.INVALID_PATCH, "class 'jarapp.fix.CounterFix', which Livepatch-Nestmates defines"
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
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER,
                binaryName.replace('.', '/'), null, "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "next", "(Ljava/lang/Object;)I",
                null, null);
        AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", "jarapp.Counter");
        av.visit("method", "next");
        av.visitEnd();
        mv.visitCode();
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/util/Collections", "emptyList", "()Ljava/util/List;", false);
        mv.visitTypeInsn(Opcodes.CHECKCAST, "java/util/RandomAccess");
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/io/File", "getPath", "()Ljava/lang/String;", false);
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/String", "length", "()I", false);
        mv.visitInsn(Opcodes.IRETURN);
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
