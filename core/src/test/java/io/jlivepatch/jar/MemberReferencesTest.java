package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.PatchHandle;
import jarapp.Counter;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A patch that names a method or field the running classes lack (built against another version of
 * the application or a library, or compiled for a newer Java) is refused at load, naming it, as the
 * kernel refuses a livepatch module whose symbol it cannot resolve: it used to load and enable, and
 * then every call of the replacement threw NoSuchMethodError. The classes are written with ASM, as
 * javac would not compile a call of a method that does not exist.
 */
class MemberReferencesTest {

    private static final String FIX = "jarapp.fix.RefFix";

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void aCallOfAMethodTheRunningClassLacksIsRefused() throws Exception {
        String m = Jars.refused(jar("no-method", mv -> {
            mv.visitVarInsn(Opcodes.ALOAD, 0);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/Counter", "previous", "()I", false);
            mv.visitInsn(Opcodes.IRETURN);
        }), Reason.SIGNATURE_MISMATCH, "class " + FIX + " uses method jarapp.Counter.previous() returning int",
                "which the running jarapp.Counter (loader ", "does not have (symbol not found)", "NoSuchMethodError", "jlivepatch build --old");
        assertFalse(m.contains("--release"), m);
        assertFalse(m.contains("cannot be used"), m);
    }

    @Test
    void aMethodOfAnotherDescriptorIsRefused() throws Exception {
        Jars.refused(jar("other-descriptor", mv -> {
            mv.visitInsn(Opcodes.LCONST_1);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Counter", "label", "(J)Ljava/lang/String;", false);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        }), Reason.SIGNATURE_MISMATCH, "uses method jarapp.Counter.label(long) returning java.lang.String");
    }

    @Test
    void aFieldTheRunningClassLacksIsRefused() throws Exception {
        Jars.refused(jar("no-field", mv -> {
            mv.visitVarInsn(Opcodes.ALOAD, 0);
            mv.visitFieldInsn(Opcodes.GETFIELD, "jarapp/Counter", "total", "I");
            mv.visitInsn(Opcodes.IRETURN);
        }), Reason.SIGNATURE_MISMATCH, "uses field jarapp.Counter.total (int)", "NoSuchFieldError");
    }

    @Test
    void aJdkMethodThisJdkLacksIsRefused() throws Exception {
        Jars.refused(jar("no-jdk-method", mv -> {
            mv.visitLdcInsn("ff");
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "parseHexadecimal", "(Ljava/lang/String;)I",
                    false);
            mv.visitInsn(Opcodes.IRETURN);
        }), Reason.SIGNATURE_MISMATCH, "uses method java.lang.Integer.parseHexadecimal(java.lang.String) returning int",
                "which this JDK's java.lang.Integer (Java " + Runtime.version().feature() + ") does not have",
                "compiled against a newer Java", "javac --release " + Runtime.version().feature());
    }

    @Test
    void aJdkClassThisJdkLacksIsRefused() throws Exception {
        Jars.refused(jar("no-jdk-class", mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/util/Hexadecimal", "of", "()I", false);
            mv.visitInsn(Opcodes.IRETURN);
        }), Reason.SIGNATURE_MISMATCH, "uses java.util.Hexadecimal, which this Java runtime (Java "
                + Runtime.version().feature() + ") does not have", "NoClassDefFoundError", "--release");
    }

    @Test
    void aJdkMethodThisJdkLacksIsRefusedInAPatchsJavaClassToo() throws Exception {
        // a hidden nestmate of a JDK class runs in the boot loader: checked through its renamed copy
        String carrier = "java.util.HexCarrier";
        Map<String, String> manifest = Jars.manifest("hex-jdk-carrier", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=java.util.HashMap");
        Path jar = Jars.write(dir.resolve("hexcarrier.jar"), manifest, Map.of("java/util/HexCarrier.class",
                Jars.patchClass(carrier, mv -> {
                    mv.visitLdcInsn("ff");
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "parseHexadecimal",
                            "(Ljava/lang/String;)I", false);
                    mv.visitInsn(Opcodes.IRETURN);
                })));
        String m = Jars.refused(jar, Reason.SIGNATURE_MISMATCH, "class java.util.HexCarrier uses method"
                + " java.lang.Integer.parseHexadecimal(java.lang.String) returning int", "javac --release");
        assertFalse(m.contains("jlivepatch_check"), "the copy's name is not shown: " + m);
    }

    @Test
    void aMissingMethodOfTheJarsOwnHelperIsRefused() throws Exception {
        // the helper has value() only: the patch calls value(int)
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        entries.put("jarapp/fix/RefFix.class", Jars.patchClass(FIX, mv -> {
            mv.visitInsn(Opcodes.ICONST_1);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/fix/RefHelper", "value", "(I)Ljava/lang/Object;", false);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        }));
        entries.put("jarapp/fix/RefHelper.class", Jars.helperClass("jarapp.fix.RefHelper", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitInsn(Opcodes.ARETURN);
        }));
        Path jar = Jars.write(dir.resolve("helper.jar"), Jars.manifest("no-helper-method", FIX), entries);
        Jars.refused(jar, Reason.SIGNATURE_MISMATCH, "uses method jarapp.fix.RefHelper.value(int)",
                "which the patch JAR's own jarapp.fix.RefHelper does not have", "build the patch again");
    }

    @Test
    void aConstantNoInstructionUsesIsNoReference() throws Exception {
        // As a class rewritten with ASM keeps (jlivepatch build's access to an added field, which it
        // turns into the shadow variable's): a pool entry of a missing field and method, used by nothing.
        byte[] patch = Jars.patchClass(FIX, Jars::returnsMinusOne);
        org.objectweb.asm.ClassReader reader = new org.objectweb.asm.ClassReader(patch);
        org.objectweb.asm.ClassWriter writer = new org.objectweb.asm.ClassWriter(reader, 0);
        reader.accept(writer, 0);
        writer.newField("jarapp/Counter", "gone", "Ljava/util/List;");
        writer.newMethod("jarapp/Counter", "goneToo", "()V", false);
        writer.newMethod("java/util/Gone", "of", "()V", false);
        PatchHandle h = Jars.lp().load(Jars.write(dir.resolve("unused.jar"), Jars.manifest("unused-constants", FIX),
                Map.of("jarapp/fix/RefFix.class", writer.toByteArray())));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
        assertEquals(-1, new Counter().next());
    }

    @Test
    void membersThatExistLoadAndRun() throws Exception {
        PatchHandle h = Jars.lp().load(jar("all-there", mv -> {
            mv.visitInsn(Opcodes.ICONST_2);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Counter", "label", "(I)Ljava/lang/String;", false);
            mv.visitInsn(Opcodes.POP);
            mv.visitTypeInsn(Opcodes.NEW, "java/lang/StringBuilder");
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/StringBuilder", "<init>", "()V", false);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/Object", "hashCode", "()I", false);
            mv.visitInsn(Opcodes.POP);
            mv.visitFieldInsn(Opcodes.GETSTATIC, "java/lang/Integer", "MAX_VALUE", "I");
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "valueOf", "(I)Ljava/lang/Integer;", false);
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, "java/lang/Comparable", "compareTo", "(Ljava/lang/Object;)I",
                    true);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        }));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
        assertEquals(-1, new Counter().next());
    }

    /**
     * A call of a method jarapp.NeverLoaded lacks, a class of the application it has not loaded yet, is
     * refused, read from its class file, without loading the class (in a helper the replacement never
     * calls). Before, the patch loaded as PATCHED (the class was not checked) and every call threw
     * NoSuchMethodError once the application loaded the class; so did a field it lacks.
     */
    @Test
    void aMemberAClassNotLoadedYetLacksIsRefusedWithoutLoadingIt() throws Exception {
        Jars.refused(notLoaded("not-loaded-missing", mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/NeverLoaded", "missing", "()I", false);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "valueOf", "(I)Ljava/lang/Integer;", false);
            mv.visitInsn(Opcodes.ARETURN);
        }), Reason.SIGNATURE_MISMATCH, "class jarapp.fix.RefHelper uses method jarapp.NeverLoaded.missing() returning"
                + " int, which the application's jarapp.NeverLoaded (loader ", "not loaded yet: read from its class"
                + " file) does not have (symbol not found)", "NoSuchMethodError", "jlivepatch build --old");
        Jars.refused(notLoaded("not-loaded-field", mv -> {
            mv.visitFieldInsn(Opcodes.GETSTATIC, "jarapp/NeverLoaded", "COUNT", "Ljava/lang/Integer;");
            mv.visitInsn(Opcodes.ARETURN);
        }), Reason.SIGNATURE_MISMATCH, "uses field jarapp.NeverLoaded.COUNT (java.lang.Integer), which the"
                + " application's jarapp.NeverLoaded", "NoSuchFieldError");
        assertFalse(neverLoadedLoaded(), "the check loaded jarapp.NeverLoaded");
    }

    /**
     * A call of a method jarapp.NeverLoaded has, and of one it inherits from the JDK, is checked without
     * loading the class, and the patch loads and runs; the class stays unloaded.
     */
    @Test
    void aMemberAClassNotLoadedYetHasIsAllowedWithoutLoadingIt() throws Exception {
        PatchHandle h = Jars.lp().load(notLoaded("not-loaded", mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/NeverLoaded", "value", "()I", false);
            mv.visitTypeInsn(Opcodes.NEW, "jarapp/NeverLoaded");
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "jarapp/NeverLoaded", "<init>", "()V", false);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/NeverLoaded", "hashCode", "()I", false);
            mv.visitInsn(Opcodes.IADD);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "valueOf", "(I)Ljava/lang/Integer;", false);
            mv.visitInsn(Opcodes.ARETURN);
        }));
        assertFalse(neverLoadedLoaded(), "the check loaded jarapp.NeverLoaded");
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
        assertEquals(-1, new Counter().next());
        assertFalse(neverLoadedLoaded(), "jarapp.NeverLoaded loaded by the patch");
    }

    /**
     * A call of a method jarapp.Packer (loaded) lacks, whose descriptor names jarapp.Parcel (not loaded
     * yet), is refused, read from Packer's class file, and Parcel stays unloaded. Before, the patch
     * loaded as PATCHED (a member with a type not loaded yet was not checked) and every call threw
     * NoSuchMethodError; a method Packer has, with the same descriptor, loads and runs.
     */
    @Test
    void aMethodALoadedClassLacksWithATypeNotLoadedYetIsRefusedWithoutLoadingIt() throws Exception {
        Jars.loadWhereCounterIs("jarapp.Packer");
        assertFalse(loaded("jarapp.Parcel"), "jarapp.Parcel is loaded already: the case needs a class no loader has");
        Jars.refused(jar("type-not-loaded-missing", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Packer", "unpack", "(Ljarapp/Parcel;)I", false);
            mv.visitInsn(Opcodes.IRETURN);
        }), Reason.SIGNATURE_MISMATCH, "class " + FIX + " uses method jarapp.Packer.unpack(jarapp.Parcel) returning"
                + " int, which the running jarapp.Packer (loader ", "does not have (symbol not found)",
                "NoSuchMethodError", "jlivepatch build --old");
        assertFalse(loaded("jarapp.Parcel"), "the check loaded jarapp.Parcel");
        PatchHandle h = Jars.lp().load(jar("type-not-loaded", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Packer", "pack", "(Ljarapp/Parcel;)I", false);
            mv.visitInsn(Opcodes.IRETURN);
        }));
        assertFalse(loaded("jarapp.Parcel"), "the check loaded jarapp.Parcel");
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
        assertEquals(5, new Counter().next());
    }

    /**
     * A call of a method the JAR's own helper lacks, whose descriptor names jarapp.Parcel (not loaded yet),
     * is refused, read from the helper's class file, and Parcel stays unloaded. Before, it loaded as
     * PATCHED and every call threw NoSuchMethodError (a member with a type not loaded yet was not checked).
     */
    @Test
    void aMissingMethodOfTheJarsOwnHelperWithATypeNotLoadedYetIsRefused() throws Exception {
        assertFalse(loaded("jarapp.Parcel"), "jarapp.Parcel is loaded already: the case needs a class no loader has");
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        entries.put("jarapp/fix/RefFix.class", Jars.patchClass(FIX, mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/fix/RefHelper", "value",
                    "(Ljarapp/Parcel;)Ljava/lang/Object;", false);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        }));
        entries.put("jarapp/fix/RefHelper.class", Jars.helperClass("jarapp.fix.RefHelper", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitInsn(Opcodes.ARETURN);
        }));
        Path jar = Jars.write(dir.resolve("helper-parcel.jar"), Jars.manifest("no-helper-parcel", FIX), entries);
        Jars.refused(jar, Reason.SIGNATURE_MISMATCH, "uses method jarapp.fix.RefHelper.value(jarapp.Parcel)",
                "which the patch JAR's own jarapp.fix.RefHelper does not have", "build the patch again");
        assertFalse(loaded("jarapp.Parcel"), "the check loaded jarapp.Parcel");
    }

    /**
     * A call of a JDK method this JDK does not have, whose descriptor names JDK classes no loader has loaded
     * yet, as a patch compiled against another Java makes it: java.awt.Component.getAccessibleContext has no
     * javax.accessibility.AccessibleRole parameter; a read of a field Component lacks, of that type; a call
     * of an interface method java.sql.SQLXML lacks (it has getSource(Class), not getSource(Result)). Each is
     * refused, read from the JDK's class files, and none of the types is loaded. Before, each loaded as
     * PATCHED (a JDK member with a type not loaded yet was left to the JVM) and every call threw
     * NoSuchMethodError / NoSuchFieldError.
     */
    @Test
    void aJdkMemberThisJdkLacksWithAJdkTypeNotLoadedYetIsRefusedWithoutLoadingIt() throws Exception {
        String[] types = {"javax.accessibility.AccessibleRole", "javax.accessibility.AccessibleContext",
                "javax.xml.transform.Result", "javax.xml.transform.Source"};
        for (String t : types) {
            assertFalse(loaded(t), t + " is loaded already: the case needs a class no loader has");
        }
        Jars.refused(jar("jdk-type-not-loaded-method", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "java/awt/Component");
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/awt/Component", "getAccessibleContext",
                    "(Ljavax/accessibility/AccessibleRole;)Ljavax/accessibility/AccessibleContext;", false);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        }), Reason.SIGNATURE_MISMATCH, "class " + FIX + " uses method java.awt.Component.getAccessibleContext("
                + "javax.accessibility.AccessibleRole) returning javax.accessibility.AccessibleContext, which this"
                + " JDK's java.awt.Component (Java " + Runtime.version().feature() + ") does not have (symbol not"
                + " found)", "NoSuchMethodError", "compiled against a newer Java",
                "javac --release " + Runtime.version().feature());
        Jars.refused(jar("jdk-type-not-loaded-field", mv -> {
            mv.visitFieldInsn(Opcodes.GETSTATIC, "java/awt/Component", "accessibleRole",
                    "Ljavax/accessibility/AccessibleRole;");
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        }), Reason.SIGNATURE_MISMATCH, "uses field java.awt.Component.accessibleRole"
                + " (javax.accessibility.AccessibleRole), which this JDK's java.awt.Component", "NoSuchFieldError");
        Jars.refused(jar("jdk-type-not-loaded-interface", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "java/sql/SQLXML");
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, "java/sql/SQLXML", "getSource",
                    "(Ljavax/xml/transform/Result;)Ljavax/xml/transform/Source;", true);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        }), Reason.SIGNATURE_MISMATCH, "uses method java.sql.SQLXML.getSource(javax.xml.transform.Result) returning"
                + " javax.xml.transform.Source, which this JDK's java.sql.SQLXML", "NoSuchMethodError");
        for (String t : types) {
            assertFalse(loaded(t), "the check loaded " + t);
        }
    }

    /**
     * JDK members that exist and are public, whose descriptors name JDK classes no loader has loaded yet:
     * java.beans.XMLDecoder's constructor of an org.xml.sax.InputSource, java.awt.Component's
     * getAccessibleContext() and the same named through java.awt.Container, which inherits it,
     * java.sql.SQLXML.getSource(Class), of an interface: checked from the JDK's class files, the patch loads
     * and runs, and none of the types is loaded by the load.
     */
    @Test
    void aJdkMemberThisJdkHasWithAJdkTypeNotLoadedYetLoadsAndRunsWithoutLoadingIt() throws Exception {
        String[] types = {"org.xml.sax.InputSource", "javax.accessibility.AccessibleContext",
                "javax.xml.transform.Source"};
        for (String t : types) {
            assertFalse(loaded(t), t + " is loaded already: the case needs a class no loader has");
        }
        PatchHandle h = Jars.lp().load(notLoaded("jdk-type-not-loaded", mv -> {
            mv.visitTypeInsn(Opcodes.NEW, "java/beans/XMLDecoder");
            mv.visitInsn(Opcodes.DUP);
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/beans/XMLDecoder", "<init>", "(Lorg/xml/sax/InputSource;)V",
                    false);
            mv.visitInsn(Opcodes.POP);
            for (String owner : new String[] {"java/awt/Component", "java/awt/Container"}) {
                mv.visitInsn(Opcodes.ACONST_NULL);
                mv.visitTypeInsn(Opcodes.CHECKCAST, owner);
                mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, owner, "getAccessibleContext",
                        "()Ljavax/accessibility/AccessibleContext;", false);
                mv.visitInsn(Opcodes.POP);
            }
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "java/sql/SQLXML");
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, "java/sql/SQLXML", "getSource",
                    "(Ljava/lang/Class;)Ljavax/xml/transform/Source;", true);
            mv.visitInsn(Opcodes.ARETURN);
        }));
        for (String t : types) {
            assertFalse(loaded(t), "the check loaded " + t);
        }
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
        assertEquals(-1, new Counter().next());
    }

    /**
     * The same of a JDK class outside java.* that the application has loaded
     * (javax.naming.ldap.InitialLdapContext), whose member's descriptor names classes no loader has loaded:
     * extendedOperation with a StartTlsRequest parameter, which it has only with an ExtendedRequest one, is
     * refused; the one it has, and getAttributes(Name) it inherits from InitialDirContext, load and run,
     * and none of their types is loaded. Before, the first loaded as PATCHED (the JDK's members with a type
     * not loaded yet were left to the JVM) and every call threw NoSuchMethodError.
     */
    @Test
    void aMemberOfALoadedJdkClassOutsideJavaWithATypeNotLoadedYetIsCheckedWithoutLoadingIt() throws Exception {
        Jars.loadWhereCounterIs("javax.naming.ldap.InitialLdapContext");
        String[] types = {"javax.naming.ldap.StartTlsRequest", "javax.naming.ldap.ExtendedRequest",
                "javax.naming.ldap.ExtendedResponse", "javax.naming.Name", "javax.naming.directory.Attributes"};
        for (String t : types) {
            assertFalse(loaded(t), t + " is loaded already: the case needs a class no loader has");
        }
        String owner = "javax/naming/ldap/InitialLdapContext";
        Jars.refused(jar("jdk-javax-type-not-loaded-missing", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, owner);
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, owner, "extendedOperation",
                    "(Ljavax/naming/ldap/StartTlsRequest;)Ljavax/naming/ldap/ExtendedResponse;", false);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        }), Reason.SIGNATURE_MISMATCH, "uses method javax.naming.ldap.InitialLdapContext.extendedOperation("
                + "javax.naming.ldap.StartTlsRequest) returning javax.naming.ldap.ExtendedResponse, which this JDK's"
                + " javax.naming.ldap.InitialLdapContext (Java " + Runtime.version().feature() + ") does not have",
                "NoSuchMethodError", "javac --release");
        PatchHandle h = Jars.lp().load(notLoaded("jdk-javax-type-not-loaded", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, owner);
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, owner, "extendedOperation",
                    "(Ljavax/naming/ldap/ExtendedRequest;)Ljavax/naming/ldap/ExtendedResponse;", false);
            mv.visitInsn(Opcodes.POP);
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, owner);
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, owner, "getAttributes",
                    "(Ljavax/naming/Name;)Ljavax/naming/directory/Attributes;", false);
            mv.visitInsn(Opcodes.ARETURN);
        }));
        for (String t : types) {
            assertFalse(loaded(t), "the check loaded " + t);
        }
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
        assertEquals(-1, new Counter().next());
    }

    /**
     * A member of a JDK class outside java.* that no loader has loaded yet (javax.naming.ldap.LdapName):
     * getRdn(long), which it has only with an int parameter, is refused, read from the JDK's class file; the
     * constructor, getRdn(int) and size() it has load and run; neither LdapName nor Rdn is loaded. Before,
     * the first loaded as PATCHED (a JDK class not loaded yet was left to the JVM) and every call threw
     * NoSuchMethodError.
     */
    @Test
    void aMemberOfAJdkClassOutsideJavaNotLoadedYetIsCheckedWithoutLoadingIt() throws Exception {
        String[] types = {"javax.naming.ldap.LdapName", "javax.naming.ldap.Rdn"};
        for (String t : types) {
            assertFalse(loaded(t), t + " is loaded already: the case needs a class no loader has");
        }
        String owner = "javax/naming/ldap/LdapName";
        Jars.refused(notLoaded("jdk-not-loaded-missing", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, owner);
            mv.visitInsn(Opcodes.LCONST_0);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, owner, "getRdn", "(J)Ljavax/naming/ldap/Rdn;", false);
            mv.visitInsn(Opcodes.ARETURN);
        }), Reason.SIGNATURE_MISMATCH, "class jarapp.fix.RefHelper uses method javax.naming.ldap.LdapName.getRdn(long)"
                + " returning javax.naming.ldap.Rdn, which this JDK's javax.naming.ldap.LdapName (Java "
                + Runtime.version().feature() + ") does not have (symbol not found)", "NoSuchMethodError",
                "javac --release");
        PatchHandle h = Jars.lp().load(notLoaded("jdk-not-loaded", mv -> {
            mv.visitTypeInsn(Opcodes.NEW, owner);
            mv.visitInsn(Opcodes.DUP);
            mv.visitLdcInsn("cn=a");
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, owner, "<init>", "(Ljava/lang/String;)V", false);
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, owner, "size", "()I", false);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, owner, "getRdn", "(I)Ljavax/naming/ldap/Rdn;", false);
            mv.visitInsn(Opcodes.ARETURN);
        }));
        for (String t : types) {
            assertFalse(loaded(t), "the check loaded " + t);
        }
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
        assertEquals(-1, new Counter().next());
    }

    /**
     * A class loader that serves a class file of its own in a JDK package (a child-first bundle with an API
     * JAR of javax.naming.ldap) would load its own class there, not the JDK's: a patch of a class it
     * defines, calling a method the JDK's LdapName lacks (getRdn(long)), is not refused on the JDK's file,
     * but left to the JVM's first call, as before.
     */
    @Test
    void aJdkClassALoaderServesAFileOfItsOwnForIsNotCheckedAgainstTheJdks() throws Exception {
        String pricing = "bundles.api.Pricing";
        Path root = java.nio.file.Files.createDirectories(dir.resolve("own-ldap"));
        Map<String, byte[]> own = Map.of(pricing, GeneratedClasses.target(pricing, 1, "total"),
                "javax.naming.ldap.LdapName", GeneratedClasses.empty("javax.naming.ldap.LdapName"));
        for (Map.Entry<String, byte[]> e : own.entrySet()) {
            Path file = root.resolve(e.getKey().replace('.', '/') + ".class");
            java.nio.file.Files.createDirectories(file.getParent());
            java.nio.file.Files.write(file, e.getValue());
        }
        BundleLoader bundle = new BundleLoader("own-ldap", root, java.util.Set.of("bundles.api", "javax.naming.ldap"));
        bundle.loadClass(pricing);
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        entries.put("bundles/fix/LdapFix.class", GeneratedClasses.fix("bundles.fix.LdapFix", pricing, "total"));
        entries.put("bundles/fix/LdapUser.class", Jars.helperClass("bundles.fix.LdapUser", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "javax/naming/ldap/LdapName");
            mv.visitInsn(Opcodes.LCONST_0);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "javax/naming/ldap/LdapName", "getRdn",
                    "(J)Ljavax/naming/ldap/Rdn;", false);
            mv.visitInsn(Opcodes.ARETURN);
        }));
        Jars.lp().load(Jars.write(dir.resolve("own-ldap.jar"), Jars.manifest("own-ldap", "bundles.fix.LdapFix"),
                entries));
    }

    /**
     * A method jarapp.UnloadedPanel (not loaded yet) lacks, looked for up its superclasses java.awt.Container
     * and Component as the JVM would, is refused, and one Container declares (getComponentCount()) is not;
     * the JDK supertypes are read from their class files. Before, they were asked by reflection, which
     * loaded every class their members name (javax.accessibility.Accessible and more, which nothing of the
     * application had loaded) though the class comment said it loaded none.
     */
    @Test
    void aJdkSupertypeOfAClassNotLoadedYetIsReadWithoutLoadingTheTypesItsMembersName() throws Exception {
        String[] types = {"jarapp.UnloadedPanel", "javax.accessibility.Accessible",
                "javax.accessibility.AccessibleContext"};
        for (String t : types) {
            assertFalse(loaded(t), t + " is loaded already: the case needs a class no loader has");
        }
        Jars.refused(notLoaded("panel-missing", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "jarapp/UnloadedPanel");
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/UnloadedPanel", "columns", "()I", false);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "valueOf", "(I)Ljava/lang/Integer;", false);
            mv.visitInsn(Opcodes.ARETURN);
        }), Reason.SIGNATURE_MISMATCH, "uses method jarapp.UnloadedPanel.columns() returning int, which the"
                + " application's jarapp.UnloadedPanel (loader ", "NoSuchMethodError");
        PatchHandle h = Jars.lp().load(notLoaded("panel", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "jarapp/UnloadedPanel");
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/UnloadedPanel", "getComponentCount", "()I", false);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "valueOf", "(I)Ljava/lang/Integer;", false);
            mv.visitInsn(Opcodes.ARETURN);
        }));
        for (String t : types) {
            assertFalse(loaded(t), "the check loaded " + t);
        }
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
        assertEquals(-1, new Counter().next());
    }

    private static boolean loaded(String name) {
        return Arrays.stream(ByteBuddyAgent.install().getAllLoadedClasses()).anyMatch(c -> c.getName().equals(name));
    }

    /** A patch of Counter.next returning -1, with a helper class it never calls whose body {@code helper} writes. */
    private Path notLoaded(String name, Consumer<MethodVisitor> helper) throws Exception {
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        entries.put("jarapp/fix/RefFix.class", Jars.patchClass(FIX, Jars::returnsMinusOne));
        entries.put("jarapp/fix/RefHelper.class", Jars.helperClass("jarapp.fix.RefHelper", helper));
        return Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, FIX), entries);
    }

    private static boolean neverLoadedLoaded() {
        return Arrays.stream(ByteBuddyAgent.install().getAllLoadedClasses())
                .anyMatch(c -> c.getName().equals("jarapp.NeverLoaded"));
    }

    private Path jar(String name, Consumer<MethodVisitor> body) throws Exception {
        return Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, FIX),
                Map.of("jarapp/fix/RefFix.class", Jars.patchClass(FIX, body)));
    }
}
