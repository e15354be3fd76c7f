package io.jlivepatch.trust;

import io.jlivepatch.ChildJvm;
import io.jlivepatch.jar.Jars;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.jlivepatch.trust.Keys.PASSWORD;

/**
 * A class a patch carried into the application's class loader ({@code Livepatch-New-Classes}) stays
 * there for the loader's life. Carried by a patch no trust policy checked (loaded before an attach
 * raised the policy), a signed patch loaded or enabled after the raise that names it without carrying
 * it ran that unchecked code while every record named the signed JAR only. Refused now, with the
 * class, the carrying patch and what to do; a signed patch that carries the identical class file, or
 * uses only its own classes, still loads (UncheckedCarrierDriver, in a fresh JVM: the policy is global).
 */
class UncheckedCarrierTest {

    @TempDir
    Path dir;

    @Test
    void aSignedPatchNeverLinksToAClassAnUncheckedPatchCarried() throws Exception {
        Path keys = dir.resolve("signers.p12");
        Keys.keyPair(dir, keys, "self", "CN=Self Signer");
        Path trust = Keys.trustStore(dir, "trust.p12", "PKCS12", Keys.export(dir, keys, "self"));

        byte[] tool = helper("jarapp.CarriedTool", null);
        List<String> args = new ArrayList<>(List.of(dir.toString(), trust.toString(), PASSWORD));
        // loaded before the policy is raised: unsigned carriers, one signed one (nothing checks it then)
        unsigned("carry-a", nestmate("jarapp.CarryA", null), "jarapp.CarriedTool", tool);
        unsigned("carry-kept", nestmate("jarapp.CarryKept", null), "jarapp.CarriedKept", helper("jarapp.CarriedKept", null));
        signed(keys, "carry-signed", nestmate("jarapp.CarrySigned", null), "jarapp.CarriedSigned",
                helper("jarapp.CarriedSigned", null));
        unsigned("carry-late", nestmate("jarapp.CarryLate", null), "jarapp.CarriedLate", helper("jarapp.CarriedLate", null));
        signed(keys, "uses-late", own("jarapp.fix.UsesLate", "jarapp.CarriedLate"), null, null);
        signed(keys, "uses-tool-pre", own("jarapp.fix.UsesToolPre", "jarapp.CarriedTool"), null, null);
        // loaded after it
        signed(keys, "uses-tool", own("jarapp.fix.UsesTool", "jarapp.CarriedTool"), null, null);
        signed(keys, "uses-kept", own("jarapp.fix.UsesKept", "jarapp.CarriedKept"), null, null);
        signed(keys, "uses-signed", own("jarapp.fix.UsesSigned", "jarapp.CarriedSigned"), null, null);
        signed(keys, "carries-other", nestmate("jarapp.OtherCarrier", "jarapp.CarriedTool"), "jarapp.CarriedTool",
                helper("jarapp.CarriedTool", "Other.java"));
        signed(keys, "carries-same", nestmate("jarapp.SameCarrier", "jarapp.CarriedTool"), "jarapp.CarriedTool", tool);
        Map<String, byte[]> ownOnly = own("jarapp.fix.OwnOnly", "jarapp.fix.OwnHelper");
        ownOnly.put("jarapp/fix/OwnHelper.class", helper("jarapp.fix.OwnHelper", null));
        signed(keys, "own-only", ownOnly, null, null);
        ChildJvm.runOk(UncheckedCarrierDriver.class, List.of(), args, 180);
    }

    /**
     * A signed carrier registered before the raise, whose class file an unsigned patch carried first: its
     * enable's check makes those bytes checked code, as a signed carrier's load after the raise does.
     * Before, only classes whose first carrier was the checked JAR itself counted, and a signed patch that
     * used the class was refused, naming the unsigned patch, for bytes the policy had just verified.
     */
    @Test
    void aClassFileCheckedAtASignedCarriersEnableIsCheckedWhoeverCarriedItFirst() throws Exception {
        Path keys = dir.resolve("signers.p12");
        Keys.keyPair(dir, keys, "self", "CN=Self Signer");
        Path trust = Keys.trustStore(dir, "trust.p12", "PKCS12", Keys.export(dir, keys, "self"));
        byte[] dup = helper("jarapp.CarriedDup", null);
        unsigned("dup-unsigned", nestmate("jarapp.DupUnsigned", null), "jarapp.CarriedDup", dup);
        signed(keys, "dup-signed", nestmate("jarapp.DupSigned", "jarapp.CarriedDup"), "jarapp.CarriedDup", dup);
        signed(keys, "uses-dup", own("jarapp.fix.UsesDup", "jarapp.CarriedDup"), null, null);
        ChildJvm.runOk(CheckedLaterCopyDriver.class, List.of(), List.of(dir.toString(), trust.toString(), PASSWORD),
                180);
    }

    /**
     * A class file checked in one loader does not vouch for what it links to in another: its bytes call a
     * class by name, and the application's loader answers that name with a class an unchecked patch carried.
     * Before, a signed patch using such a class (jarapp.ChainHead, the same bytes as a signed plugin patch
     * carried into the plugin's loader) loaded and would have run the unsigned jarapp.ChainTail behind it.
     */
    @Test
    void aCheckedClassFileDoesNotVouchForTheUncheckedClassesItLinksTo() throws Exception {
        Path keys = dir.resolve("signers.p12");
        Keys.keyPair(dir, keys, "self", "CN=Self Signer");
        Path trust = Keys.trustStore(dir, "trust.p12", "PKCS12", Keys.export(dir, keys, "self"));
        byte[] head = helper("jarapp.ChainHead", null, "jarapp.ChainTail");
        Map<String, byte[]> unchecked = nestmate("jarapp.ChainU", null);
        unchecked.put("jarapp/ChainHead.class", head);
        unchecked.put("jarapp/ChainTail.class", helper("jarapp.ChainTail", null));
        Map<String, String> manifest = Jars.manifest("chain-u", "jarapp.ChainU");
        manifest.put("Livepatch-Nestmates", "jarapp.ChainU=jarapp.Counter");
        manifest.put("Livepatch-New-Classes", "jarapp.ChainHead jarapp.ChainTail");
        Jars.write(dir.resolve("chain-u.jar"), manifest, unchecked);

        Path plugin = java.nio.file.Files.createDirectories(dir.resolve("plugin/jarapp"));
        java.nio.file.Files.write(plugin.resolve("Plugin.class"),
                io.jlivepatch.jar.GeneratedClasses.target("jarapp.Plugin", true, 0));
        Map<String, byte[]> other = new LinkedHashMap<>();
        other.put("jarapp/ChainOther.class", io.jlivepatch.jar.GeneratedClasses.fix("jarapp.ChainOther",
                "jarapp.Plugin"));
        other.put("jarapp/ChainHead.class", head);
        other.put("jarapp/ChainTail.class", helper("jarapp.ChainTail", "Other.java"));
        manifest = Jars.manifest("chain-other", "jarapp.ChainOther");
        manifest.put("Livepatch-Nestmates", "jarapp.ChainOther=jarapp.Plugin");
        manifest.put("Livepatch-New-Classes", "jarapp.ChainHead jarapp.ChainTail");
        Keys.sign(dir, keys, Jars.write(dir.resolve("chain-other-unsigned.jar"), manifest, other), "self",
                "chain-other.jar");
        signed(keys, "uses-head", own("jarapp.fix.UsesHead", "jarapp.ChainHead"), null, null);
        // carrying the very ChainTail bytes itself: signed code all the way, as a direct use's identical copy is
        signed(keys, "uses-head-tail", nestmate("jarapp.UsesHeadTail", "jarapp.ChainHead"), "jarapp.ChainTail",
                helper("jarapp.ChainTail", null));
        ChildJvm.runOk(CheckedCopyChainDriver.class, List.of(), List.of(dir.toString(), trust.toString(), PASSWORD),
                180);
    }

    /**
     * A load under way at the raise (its JAR checked against no policy) carries its class after a signed
     * patch naming that class was loaded and enabled: both of that patch's checks found nothing carried, and
     * its code resolves the name only when it first runs, to the unchecked class. Before, the late carrier
     * registered and its class was there for the signed patch's next call; now a class no policy checked is
     * never carried once the policy is enforced, and that load is refused (RaisedMidLoadDriver).
     */
    @Test
    void aLoadUnderWayAtTheRaiseCarriesNothingUncheckedAfterIt() throws Exception {
        Path keys = dir.resolve("signers.p12");
        Keys.keyPair(dir, keys, "self", "CN=Self Signer");
        Path trust = Keys.trustStore(dir, "trust.p12", "PKCS12", Keys.export(dir, keys, "self"));
        unsigned("carry-after", nestmate("jarapp.CarryAfter", null), "jarapp.CarriedAfter",
                helper("jarapp.CarriedAfter", null));
        signed(keys, "uses-after", own("jarapp.fix.UsesAfter", "jarapp.CarriedAfter"), null, null);
        ChildJvm.runOk(RaisedMidLoadDriver.class, List.of(), List.of(dir.toString(), trust.toString(), PASSWORD),
                180);
    }

    private void unsigned(String name, Map<String, byte[]> classes, String carried, byte[] carriedBytes)
            throws Exception {
        jar(name + ".jar", name, classes, carried, carriedBytes);
    }

    private void signed(Path keys, String name, Map<String, byte[]> classes, String carried, byte[] carriedBytes)
            throws Exception {
        Keys.sign(dir, keys, jar(name + "-unsigned.jar", name, classes, carried, carriedBytes), "self", name + ".jar");
    }

    /** A patch JAR of {@code classes}, the first its Livepatch-Class, a nestmate of jarapp.Counter when it carries a class. */
    private Path jar(String file, String name, Map<String, byte[]> classes, String carried, byte[] carriedBytes)
            throws Exception {
        String first = classes.keySet().iterator().next().replace(".class", "").replace('/', '.');
        Map<String, String> manifest = Jars.manifest(name, first);
        Map<String, byte[]> entries = new LinkedHashMap<>(classes);
        if (carried != null) {
            manifest.put("Livepatch-Nestmates", first + "=jarapp.Counter");
            manifest.put("Livepatch-New-Classes", carried);
            entries.put(carried.replace('.', '/') + ".class", carriedBytes);
        }
        return Jars.write(dir.resolve(file), manifest, entries);
    }

    /** {@link #own}, for a JAR that makes it a nestmate (one that carries a class). */
    private static Map<String, byte[]> nestmate(String name, String calls) {
        return own(name, calls);
    }

    /**
     * A patch class of one {@code @Replaces} of jarapp.Counter.next whose body calls {@code calls}' static
     * {@code Object value()} (unless null) and returns -1.
     */
    private static Map<String, byte[]> own(String name, String calls) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name.replace('.', '/'), null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "next", "(Ljarapp/Counter;)I",
                null, null);
        AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", "jarapp.Counter");
        av.visit("method", "next");
        av.visitEnd();
        mv.visitCode();
        if (calls != null) {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, calls.replace('.', '/'), "value", "()Ljava/lang/Object;", false);
            mv.visitInsn(Opcodes.POP);
        }
        mv.visitInsn(Opcodes.ICONST_M1);
        mv.visitInsn(Opcodes.IRETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        Map<String, byte[]> classes = new LinkedHashMap<>();
        classes.put(name.replace('.', '/') + ".class", cw.toByteArray());
        return classes;
    }

    /**
     * A class of one static method {@code Object value()} returning null, with a SourceFile attribute when
     * {@code source} is given.
     */
    private static byte[] helper(String name, String source) {
        return helper(name, source, null);
    }

    /** {@link #helper(String, String)} whose value() returns what {@code calls}' value() returns, unless null. */
    private static byte[] helper(String name, String source, String calls) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name.replace('.', '/'), null,
                "java/lang/Object", null);
        if (source != null) {
            cw.visitSource(source, null);
        }
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "value", "()Ljava/lang/Object;",
                null, null);
        mv.visitCode();
        if (calls != null) {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, calls.replace('.', '/'), "value", "()Ljava/lang/Object;", false);
        } else {
            mv.visitInsn(Opcodes.ACONST_NULL);
        }
        mv.visitInsn(Opcodes.ARETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
