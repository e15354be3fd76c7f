package io.jlivepatch.trust;

import io.jlivepatch.ChildJvm;
import io.jlivepatch.jar.GeneratedClasses;
import io.jlivepatch.jar.Jars;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.jlivepatch.trust.Keys.PASSWORD;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A class carried unchecked into one webapp's class loader counts against a signed patch only where that
 * patch's code can resolve it: in that loader, or in a loader that delegates to it. Before, a carried
 * class in any loader counted, and a signed patch of webapp B was refused for webapp.Tool, carried unchecked
 * into sibling webapp A's loader only, which B's code never resolves (it has a webapp.Tool of its own).
 * So at the enable of a signed patch of B registered before the raise. A patch of A (at its load or its
 * enable), a patch of a loader whose parent the class was carried into, and a later loader of A's that
 * defines B's patched class are still refused (CarriedAcrossLoadersDriver, in a fresh JVM: the policy is global).
 */
class CarriedAcrossLoadersTest {

    @TempDir
    Path dir;

    @Test
    void anUncheckedCarriedClassCountsOnlyForLoadersThatCanResolveIt() throws Exception {
        Path keys = dir.resolve("signers.p12");
        Keys.keyPair(dir, keys, "self", "CN=Self Signer");
        Path trust = Keys.trustStore(dir, "trust.p12", "PKCS12", Keys.export(dir, keys, "self"));

        // two webapps of the same classes; B has a webapp.Tool of its own, A does not (a patch carries one)
        for (String web : List.of("web-a", "web-b")) {
            classFile(web, "webapp.Page", GeneratedClasses.target("webapp.Page", true, 1));
            classFile(web, "webapp.Other", GeneratedClasses.target("webapp.Other", true, 1));
        }
        classFile("web-b", "webapp.Tool", helper("webapp.Tool"));
        classFile("parent", "webapp.Base", GeneratedClasses.target("webapp.Base", true, 1));
        classFile("child", "webapp.Leaf", GeneratedClasses.target("webapp.Leaf", true, 1));

        // unsigned, loaded before the policy is raised: each carries a class into its target's loader
        carrier("carry-a", "webapp.CarryA", "webapp.Other", "webapp.Tool");
        carrier("carry-p", "webapp.CarryP", "webapp.Base", "webapp.PTool");
        // signed, loaded before it (checked at their enables)
        signed(keys, "pre-page", "webapp.fix.PrePage", "webapp.Page", "webapp.Tool");
        signed(keys, "pre-other", "webapp.fix.PreOther", "webapp.Other", "webapp.Tool");
        // signed, loaded after it
        signed(keys, "uses-page", "webapp.fix.UsesPage", "webapp.Page", "webapp.Tool");
        signed(keys, "uses-page-late", "webapp.fix.UsesPageLate", "webapp.Page", "webapp.Tool");
        signed(keys, "uses-other", "webapp.fix.UsesOther", "webapp.Other", "webapp.Tool");
        signed(keys, "uses-leaf", "webapp.fix.UsesLeaf", "webapp.Leaf", "webapp.PTool");
        String out = ChildJvm.runOk(CarriedAcrossLoadersDriver.class, List.of(),
                List.of(dir.toString(), trust.toString(), PASSWORD), 180);
        // A's copies, linked once A defined webapp.Page after the enables, were refused: why is on record
        for (String[] misfit : new String[][] {{"uses-page", "runs the version of patch 'pre-page' below it"},
                {"pre-page", "keeps its own code"}}) {
            String start = "'" + misfit[0] + "': webapp.Page.quote(I)I in webapp-a";
            int at = out.indexOf(start);
            assertTrue(at >= 0, start + " in:\n" + out);
            String line = out.substring(at, out.indexOf('\n', at));
            assertTrue(line.contains(misfit[1]) && line.contains("UNTRUSTED: its code there uses class webapp.Tool,"
                    + " which patch 'carry-a' (JAR SHA-256 "), line);
        }
    }

    /**
     * An unsigned carrier enabled before the raise stays enabled, and its copy for a loader that defines its
     * target later would carry its class there, unchecked, after the raise: a class no refusal could take back,
     * which a signed patch whose copy there linked first (its check finding nothing carried) would resolve at its
     * first call. Before, webapp.CTool was carried into webapp D, a loader made after the raise; now D's copy
     * keeps its own code and carries nothing, C's stays patched (LaterLoaderCarryDriver).
     */
    @Test
    void aCopyOfAnUncheckedCarrierForALaterLoaderCarriesNothingAfterTheRaise() throws Exception {
        Path keys = dir.resolve("signers.p12");
        Keys.keyPair(dir, keys, "self", "CN=Self Signer");
        Path trust = Keys.trustStore(dir, "trust.p12", "PKCS12", Keys.export(dir, keys, "self"));
        for (String web : List.of("web-c", "web-d")) {
            classFile(web, "webapp.Other", GeneratedClasses.target("webapp.Other", true, 1));
        }
        carrier("carry-c", "webapp.CarryC", "webapp.Other", "webapp.CTool");
        ChildJvm.runOk(LaterLoaderCarryDriver.class, List.of(), List.of(dir.toString(), trust.toString(), PASSWORD),
                180);
    }

    private void classFile(String root, String name, byte[] bytes) throws Exception {
        Path file = dir.resolve(root).resolve(name.replace('.', '/') + ".class");
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    /** An unsigned patch of {@code target}.quote whose nestmate {@code fix} carries {@code carried}. */
    private void carrier(String name, String fix, String target, String carried) throws Exception {
        Map<String, String> manifest = Jars.manifest(name, fix);
        manifest.put("Livepatch-Nestmates", fix + "=" + target);
        manifest.put("Livepatch-New-Classes", carried);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(fix.replace('.', '/') + ".class", fix(fix, target, carried));
        entries.put(carried.replace('.', '/') + ".class", helper(carried));
        Jars.write(dir.resolve(name + ".jar"), manifest, entries);
    }

    /** A signed patch of {@code target}.quote, class {@code fix}, whose code calls {@code calls}. */
    private void signed(Path keys, String name, String fix, String target, String calls) throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(fix.replace('.', '/') + ".class", fix(fix, target, calls));
        Path unsigned = Jars.write(dir.resolve(name + "-unsigned.jar"), Jars.manifest(name, fix), entries);
        Keys.sign(dir, keys, unsigned, "self", name + ".jar");
    }

    /**
     * {@code @Replaces(target = <target>, method = "quote") public static int quote(<target> self, int n)
     * { <calls>.value(); return n * 10; }}
     */
    private static byte[] fix(String name, String target, String calls) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name.replace('.', '/'), null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "quote",
                "(L" + target.replace('.', '/') + ";I)I", null, null);
        AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", target);
        av.visit("method", "quote");
        av.visitEnd();
        mv.visitCode();
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, calls.replace('.', '/'), "value", "()Ljava/lang/Object;", false);
        mv.visitInsn(Opcodes.POP);
        mv.visitVarInsn(Opcodes.ILOAD, 1);
        mv.visitIntInsn(Opcodes.BIPUSH, 10);
        mv.visitInsn(Opcodes.IMUL);
        mv.visitInsn(Opcodes.IRETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** A public class of one {@code public static Object value()} returning null. */
    static byte[] helper(String name) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name.replace('.', '/'), null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "value", "()Ljava/lang/Object;",
                null, null);
        mv.visitCode();
        mv.visitInsn(Opcodes.ACONST_NULL);
        mv.visitInsn(Opcodes.ARETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
