package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.PatchHandle;
import jarapp.Counter;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a class in the patch's own class loader (another runtime package than any application class,
 * an unnamed module) may use: a JDK class of a package its module does not export, a package-private
 * application class, a protected member from a class that is no subclass of its class. Each is
 * refused at load; before, each loaded, status said PATCHED and every call threw IllegalAccessError.
 */
class OwnLoaderAccessTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void loadTargets() throws Exception {
        // Only the application's classes loaded already are checked: these are, as a patch's target is
        // (with jarapp.Counter not loaded yet, the loader the patch is checked under is another).
        Class.forName("jarapp.Counter");
        Class.forName("jarapp.Ledger");
        Class.forName("jarapp.Shelf");
        Class.forName("jarapp.Tally");
        Class.forName("jarapp.Packer");
        Class.forName("jarapp.Crate");
    }

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    /**
     * A public class of one {@code public static int next(jarapp.Counter)} replacing
     * jarapp.Counter.next, extending {@code superName}, whose body {@code code} writes.
     */
    static byte[] patchClass(String binaryName, String superName, Consumer<MethodVisitor> code) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS | ClassWriter.COMPUTE_FRAMES);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, binaryName.replace('.', '/'), null,
                superName, null);
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, superName, "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "next", "(Ljarapp/Counter;)I",
                null, null);
        AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", "jarapp.Counter");
        av.visit("method", "next");
        av.visitEnd();
        mv.visitCode();
        code.accept(mv);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        if (!superName.equals("java/lang/Object")) {
            // super.size() on this: the use of a protected method a subclass is for
            MethodVisitor sized = cw.visitMethod(Opcodes.ACC_PUBLIC, "sized", "()I", null, null);
            sized.visitCode();
            sized.visitVarInsn(Opcodes.ALOAD, 0);
            sized.visitMethodInsn(Opcodes.INVOKESPECIAL, superName, "size", "()I", false);
            sized.visitInsn(Opcodes.IRETURN);
            sized.visitMaxs(0, 0);
            sized.visitEnd();
        }
        cw.visitEnd();
        return cw.toByteArray();
    }

    private Path jar(String name, String fix, byte[] bytes) throws Exception {
        return Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, fix),
                Map.of(fix.replace('.', '/') + ".class", bytes));
    }

    private static boolean loadedAnywhere(String name) {
        return Arrays.stream(ByteBuddyAgent.install().getAllLoadedClasses()).anyMatch(c -> c.getName().equals(name));
    }

    /** Loads and enables {@code jar}, then calls the patched method. */
    private static int loadedAndRun(Path jar) throws Exception {
        PatchHandle h = Jars.lp().load(jar);
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
        return new Counter().next();
    }

    /** {@code ldc} of the class {@code internalName} (resolved at every run), then returns -1. */
    private static Consumer<MethodVisitor> classConstant(String... internalNames) {
        return mv -> {
            for (String n : internalNames) {
                mv.visitLdcInsn(Type.getObjectType(n));
                mv.visitInsn(Opcodes.POP);
            }
            Jars.returnsMinusOne(mv);
        };
    }

    /**
     * jdk.internal.misc.Unsafe (loaded, but not by the application's loader) and a class of sun.nio.ch
     * that no class loader has loaded: java.base exports neither package. The second is refused
     * without being loaded. Before, both loaded, status said PATCHED and every call threw
     * IllegalAccessError (the check looked only at JDK classes the application had loaded).
     */
    @Test
    void aJdkClassOfAPackageItsModuleDoesNotExportIsRefusedLoadedOrNot() throws Exception {
        String fix = "jarapp.fix.UnsafeFix";
        Jars.refused(jar("unsafe", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jdk/internal/misc/Unsafe", "getUnsafe",
                    "()Ljdk/internal/misc/Unsafe;", false);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        })), Reason.INVALID_PATCH, "class " + fix + " uses", "jdk.internal.misc.Unsafe", "which it cannot access:"
                + " module java.base does not export jdk.internal.misc to the unnamed module of the patch's own class"
                + " loader", "IllegalAccessError",
                "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED");
        String adaptor = "sun.nio.ch.DatagramSocketAdaptor";
        assertFalse(loadedAnywhere(adaptor), adaptor + " is loaded already: the case needs a class no loader has");
        String fix2 = "jarapp.fix.AdaptorFix";
        Jars.refused(jar("adaptor", fix2, patchClass(fix2, "java/lang/Object",
                classConstant("sun/nio/ch/DatagramSocketAdaptor"))), Reason.INVALID_PATCH, "class " + fix2
                + " uses class " + adaptor + ", which it cannot access: module java.base does not export sun.nio.ch to"
                + " the unnamed module", "IllegalAccessError", "Use only the JDK's public API of exported packages");
        assertFalse(loadedAnywhere(adaptor), "the check loaded " + adaptor);
    }

    /** Classes outside java.* of packages their modules export: the patch loads and runs. */
    @Test
    void exportedJdkClassesOutsideJavaAreAllowed() throws Exception {
        String fix = "jarapp.fix.ExportedFix";
        assertEquals(-1, loadedAndRun(jar("exported", fix, patchClass(fix, "java/lang/Object",
                classConstant("javax/naming/Context", "jdk/jfr/Event", "com/sun/management/OperatingSystemMXBean")))));
    }

    /**
     * jarapp.Ledger is package-private: a public method of it, the class as a constant, an array of it,
     * a method type naming it. Before, each loaded, status said PATCHED and every call threw
     * IllegalAccessError (the method type: at its ldc).
     */
    @Test
    void aPackagePrivateApplicationClassIsRefusedSayingToUseANestmate() throws Exception {
        Map<String, Consumer<MethodVisitor>> uses = new java.util.LinkedHashMap<>();
        uses.put("owner", mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Ledger", "total", "()I", false);
            mv.visitInsn(Opcodes.IRETURN);
        });
        uses.put("constant", classConstant("jarapp/Ledger"));
        uses.put("array", mv -> {
            mv.visitInsn(Opcodes.ICONST_0);
            mv.visitTypeInsn(Opcodes.ANEWARRAY, "jarapp/Ledger");
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        });
        uses.put("method-type", mv -> {
            mv.visitLdcInsn(Type.getMethodType("(Ljarapp/Ledger;)V"));
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        });
        for (Map.Entry<String, Consumer<MethodVisitor>> u : uses.entrySet()) {
            String fix = "jarapp.fix.LedgerFix";
            Jars.refused(jar("ledger-" + u.getKey(), fix, patchClass(fix, "java/lang/Object", u.getValue())),
                    Reason.INVALID_PATCH, "class " + fix + " uses class jarapp.Ledger, which is not public",
                    "IllegalAccessError", "in package jarapp", "Livepatch-Nestmates: <that class>=jarapp.Ledger");
        }
    }

    /**
     * A package-private class only in the descriptor of a public method of a public class: the JVM
     * checks no access of a member reference's types (the call runs), so the patch loads and runs.
     */
    @Test
    void aPackagePrivateClassOnlyInAMembersDescriptorIsAllowed() throws Exception {
        String fix = "jarapp.fix.WeighFix";
        assertEquals(5, loadedAndRun(jar("weigh", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Shelf", "weigh", "(Ljarapp/Ledger;)I", false);
            mv.visitInsn(Opcodes.IRETURN);
        }))));
    }

    /**
     * Protected members of jarapp.Shelf (an instance method, a field, a static method) and of the JDK
     * (ClassLoader.findLoadedClass) from a class that is no subclass of theirs. Before, each loaded,
     * status said PATCHED and every call threw IllegalAccessError. A subclass using Shelf.size on a
     * Shelf that is not its own kind fails the verifier's rule for protected access (JVMS 4.10.1.8),
     * and was refused before.
     */
    @Test
    void aProtectedMemberUsedFromAClassThatIsNoSubclassIsRefused() throws Exception {
        String fix = "jarapp.fix.ShelfUser";
        Consumer<MethodVisitor> newShelf = mv -> {
            mv.visitTypeInsn(Opcodes.NEW, "jarapp/Shelf");
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "jarapp/Shelf", "<init>", "()V", false);
        };
        Jars.refused(jar("protected-method", fix, patchClass(fix, "java/lang/Object", mv -> {
            newShelf.accept(mv);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/Shelf", "size", "()I", false);
            mv.visitInsn(Opcodes.IRETURN);
        })), Reason.INVALID_PATCH, "class " + fix + " uses method jarapp.Shelf.size() returning int, which it cannot"
                + " access: it is protected, and " + fix + " is not a subclass of jarapp.Shelf", "IllegalAccessError",
                "in package jarapp", "Livepatch-Nestmates: <that class>=jarapp.Shelf");
        Jars.refused(jar("protected-field", fix, patchClass(fix, "java/lang/Object", mv -> {
            newShelf.accept(mv);
            mv.visitFieldInsn(Opcodes.GETFIELD, "jarapp/Shelf", "stock", "I");
            mv.visitInsn(Opcodes.IRETURN);
        })), Reason.INVALID_PATCH, "uses field jarapp.Shelf.stock (int), which it cannot access: it is protected",
                "IllegalAccessError");
        Jars.refused(jar("protected-static", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitInsn(Opcodes.ICONST_2);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Shelf", "twice", "(I)I", false);
            mv.visitInsn(Opcodes.IRETURN);
        })), Reason.INVALID_PATCH, "uses method jarapp.Shelf.twice(int) returning int, which it cannot access: it is"
                + " protected", "IllegalAccessError");
        Jars.refused(jar("protected-jdk", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "java/lang/ClassLoader");
            mv.visitLdcInsn("x");
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/ClassLoader", "findLoadedClass",
                    "(Ljava/lang/String;)Ljava/lang/Class;", false);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        })), Reason.INVALID_PATCH, "uses method java.lang.ClassLoader.findLoadedClass(java.lang.String) returning"
                + " java.lang.Class, which it cannot access: it is protected, and " + fix + " is not a subclass of"
                + " java.lang.ClassLoader", "IllegalAccessError", "Use it only from a subclass of java.lang.ClassLoader");
        String sub = "jarapp.fix.OtherShelf";
        Jars.refused(jar("protected-receiver", sub, patchClass(sub, "jarapp/Shelf", mv -> {
            newShelf.accept(mv);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/Shelf", "size", "()I", false);
            mv.visitInsn(Opcodes.IRETURN);
        })), Reason.INVALID_PATCH, "class " + sub + " cannot be used", "Bad access to protected data",
                "only on an instance of its own class", "Livepatch-Nestmates");
    }

    /**
     * jarapp.Tally inherits java.util.AbstractList's protected modCount: read through Tally from a
     * class that is no subclass of AbstractList, it is refused (before, it loaded and every call threw
     * IllegalAccessError); read by a subclass of Tally on an instance of its own, it loads and runs.
     */
    @Test
    void aProtectedJdkMemberOfAnApplicationClassIsRefusedOutsideASubclass() throws Exception {
        String fix = "jarapp.fix.TallyUser";
        Jars.refused(jar("inherited", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitTypeInsn(Opcodes.NEW, "jarapp/Tally");
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "jarapp/Tally", "<init>", "()V", false);
            mv.visitFieldInsn(Opcodes.GETFIELD, "jarapp/Tally", "modCount", "I");
            mv.visitInsn(Opcodes.IRETURN);
        })), Reason.INVALID_PATCH, "class " + fix + " uses field jarapp.Tally.modCount (int), which it cannot access:"
                + " it is protected, and " + fix + " is not a subclass of java.util.AbstractList", "IllegalAccessError",
                "Use it only from a subclass of java.util.AbstractList");
        String sub = "jarapp.fix.TallyFix";
        assertEquals(0, loadedAndRun(jar("inherited-subclass", sub, patchClass(sub, "jarapp/Tally", mv -> {
            mv.visitTypeInsn(Opcodes.NEW, "jarapp/fix/TallyFix");
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "jarapp/fix/TallyFix", "<init>", "()V", false);
            mv.visitFieldInsn(Opcodes.GETFIELD, "jarapp/Tally", "modCount", "I");
            mv.visitInsn(Opcodes.IRETURN);
        }))));
    }

    /**
     * The same of a JDK class outside java.* (javax.naming.InitialContext's protected myProps, which
     * jarapp.Naming inherits): refused saying to use it from a subclass or the JDK's public API, as of
     * java.*'s. It said to move the code to a class in package javax.naming made a nestmate of
     * javax.naming.InitialContext, which is in no application package either.
     */
    @Test
    void aProtectedMemberOfAJdkClassOutsideJavaIsRefusedSayingWhatToDo() throws Exception {
        Class.forName("jarapp.Naming", false, OwnLoaderAccessTest.class.getClassLoader());
        String fix = "jarapp.fix.NamingUser";
        String message = Jars.refused(jar("javax-protected", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitFieldInsn(Opcodes.GETFIELD, "jarapp/Naming", "myProps", "Ljava/util/Hashtable;");
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        })), Reason.INVALID_PATCH, "class " + fix + " uses field jarapp.Naming.myProps (java.util.Hashtable), which it"
                + " cannot access: it is protected, and " + fix + " is not a subclass of javax.naming.InitialContext",
                "IllegalAccessError", "Use it only from a subclass of javax.naming.InitialContext, through that"
                + " subclass (super.myProps, this.myProps), or use the JDK's public API");
        assertFalse(message.contains("nestmate"), message);
    }

    /**
     * A private member of a JDK class outside java.* (javax.naming.InitialContext.getURLScheme) reached
     * through an application class that extends it: the JVM resolves it there and refuses the access at
     * every call, from any class of the application's. The advice to use it from a nestmate of the JDK's
     * class cannot be followed.
     */
    @Test
    void aPrivateMemberOfAJdkClassOutsideJavaIsRefusedWithoutTheNestmateAdvice() throws Exception {
        Class.forName("jarapp.Naming", false, OwnLoaderAccessTest.class.getClassLoader());
        String fix = "jarapp.fix.NamingSchemeUser";
        String message = Jars.refused(jar("javax-private", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitLdcInsn("ldap://host");
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Naming", "getURLScheme",
                    "(Ljava/lang/String;)Ljava/lang/String;", false);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        })), Reason.INVALID_PATCH, "class " + fix + " uses method jarapp.Naming.getURLScheme(java.lang.String)"
                + " returning java.lang.String, which is private (declared in javax.naming.InitialContext), the JDK's:"
                + " no class of the application's or of the patch's can access it (every call reaching it would throw"
                + " IllegalAccessError). Use the JDK's public API, or public and protected members only");
        assertFalse(message.contains("nestmate"), message);
    }

    /**
     * Members of a JDK class the patch's own loader may never use, whose types are JDK classes no loader has
     * loaded yet: java.awt.Component's private compoundShape (a sun.java2d.pipe.Region), its protected
     * accessibleContext (a javax.accessibility.AccessibleContext) from a class that is no subclass, and
     * java.awt.Container's package-private getAccessibleChild(int) (returning a javax.accessibility.Accessible).
     * Each is refused as the same member of a loaded JDK class is, read from the JDK's class files, and the
     * types stay unloaded. Before, each loaded as PATCHED (a JDK member with a type not loaded yet was left
     * to the JVM) and every call threw IllegalAccessError.
     */
    @Test
    void aJdkMemberTheOwnLoaderCannotAccessWithATypeNotLoadedYetIsRefusedWithoutLoadingIt() throws Exception {
        String[] types = {"sun.java2d.pipe.Region", "javax.accessibility.AccessibleContext",
                "javax.accessibility.Accessible"};
        for (String t : types) {
            assertFalse(loadedAnywhere(t), t + " is loaded already: the case needs a class no loader has");
        }
        String fix = "jarapp.fix.ComponentUser";
        String message = Jars.refused(jar("jdk-private-type-not-loaded", fix, patchClass(fix, "java/lang/Object",
                mv -> {
                    mv.visitInsn(Opcodes.ACONST_NULL);
                    mv.visitTypeInsn(Opcodes.CHECKCAST, "java/awt/Component");
                    mv.visitFieldInsn(Opcodes.GETFIELD, "java/awt/Component", "compoundShape",
                            "Lsun/java2d/pipe/Region;");
                    mv.visitInsn(Opcodes.POP);
                    Jars.returnsMinusOne(mv);
                })), Reason.INVALID_PATCH, "class " + fix + " uses field java.awt.Component.compoundShape"
                + " (sun.java2d.pipe.Region), which it cannot access: it is private", "IllegalAccessError",
                "Use only the JDK's public API");
        assertFalse(message.contains("nestmate"), message);
        Jars.refused(jar("jdk-protected-type-not-loaded", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "java/awt/Component");
            mv.visitFieldInsn(Opcodes.GETFIELD, "java/awt/Component", "accessibleContext",
                    "Ljavax/accessibility/AccessibleContext;");
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        })), Reason.INVALID_PATCH, "class " + fix + " uses field java.awt.Component.accessibleContext"
                + " (javax.accessibility.AccessibleContext), which it cannot access: it is protected, and " + fix
                + " is not a subclass of java.awt.Component", "IllegalAccessError",
                "Use it only from a subclass of java.awt.Component");
        message = Jars.refused(jar("jdk-package-private-type-not-loaded", fix, patchClass(fix, "java/lang/Object",
                mv -> {
                    mv.visitInsn(Opcodes.ACONST_NULL);
                    mv.visitTypeInsn(Opcodes.CHECKCAST, "java/awt/Container");
                    mv.visitInsn(Opcodes.ICONST_0);
                    mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/awt/Container", "getAccessibleChild",
                            "(I)Ljavax/accessibility/Accessible;", false);
                    mv.visitInsn(Opcodes.POP);
                    Jars.returnsMinusOne(mv);
                })), Reason.INVALID_PATCH, "class " + fix + " uses method java.awt.Container.getAccessibleChild(int)"
                + " returning javax.accessibility.Accessible, which it cannot access: it is package-private",
                "IllegalAccessError", "Use only the JDK's public API");
        assertFalse(message.contains("nestmate"), message);
        for (String t : types) {
            assertFalse(loadedAnywhere(t), "the check loaded " + t);
        }
    }

    /**
     * A package-private method of java.awt.Container (getAccessibleChild(int)) reached through
     * jarapp.UnloadedPanel, an application class not loaded yet that extends it: refused as the JDK's member
     * no class of the application's can use, read from the class files, nothing loaded. Before, the JDK
     * supertype was asked by reflection, which called every member but a protected one public (the call
     * threw IllegalAccessError) and loaded javax.accessibility.Accessible and the other types Container's
     * and Component's members name.
     */
    @Test
    void aPackagePrivateJdkMemberOfAnApplicationClassNotLoadedYetIsRefusedWithoutLoadingItsTypes() throws Exception {
        String[] types = {"jarapp.UnloadedPanel", "javax.accessibility.Accessible"};
        for (String t : types) {
            assertFalse(loadedAnywhere(t), t + " is loaded already: the case needs a class no loader has");
        }
        String fix = "jarapp.fix.PanelUser";
        String message = Jars.refused(jar("panel-package-private", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "jarapp/UnloadedPanel");
            mv.visitInsn(Opcodes.ICONST_0);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/UnloadedPanel", "getAccessibleChild",
                    "(I)Ljavax/accessibility/Accessible;", false);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        })), Reason.INVALID_PATCH, "class " + fix + " uses method jarapp.UnloadedPanel.getAccessibleChild(int)"
                + " returning javax.accessibility.Accessible, which is package-private (declared in"
                + " java.awt.Container), the JDK's: no class of the application's or of the patch's can access it",
                "IllegalAccessError", "Use the JDK's public API");
        assertFalse(message.contains("nestmate"), message);
        for (String t : types) {
            assertFalse(loadedAnywhere(t), "the check loaded " + t);
        }
    }

    /**
     * A private field of a JDK class outside java.* that no loader has loaded yet
     * (javax.naming.ldap.LdapName.unparsed): refused as a private member of a loaded JDK class is, read from
     * the JDK's class file, and the class stays unloaded. Before, it loaded as PATCHED (a JDK class not
     * loaded yet was left to the JVM) and every call threw IllegalAccessError.
     */
    @Test
    void aPrivateMemberOfAJdkClassOutsideJavaNotLoadedYetIsRefusedWithoutLoadingIt() throws Exception {
        String ldapName = "javax.naming.ldap.LdapName";
        assertFalse(loadedAnywhere(ldapName), ldapName + " is loaded already: the case needs a class no loader has");
        String fix = "jarapp.fix.LdapNameUser";
        String message = Jars.refused(jar("jdk-private-not-loaded", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "javax/naming/ldap/LdapName");
            mv.visitFieldInsn(Opcodes.GETFIELD, "javax/naming/ldap/LdapName", "unparsed", "Ljava/lang/String;");
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        })), Reason.INVALID_PATCH, "class " + fix + " uses field javax.naming.ldap.LdapName.unparsed"
                + " (java.lang.String), which it cannot access: it is private", "IllegalAccessError",
                "Use only the JDK's public API");
        assertFalse(message.contains("nestmate"), message);
        assertFalse(loadedAnywhere(ldapName), "the check loaded " + ldapName);
    }

    /**
     * A subclass of jarapp.Shelf using its protected members on itself: super.size(), this.stock,
     * size() through Shelf on an instance of its own, the static twice: loads and runs.
     */
    @Test
    void aProtectedMemberUsedFromASubclassOnItselfIsAllowed() throws Exception {
        String fix = "jarapp.fix.ShelfFix";
        assertEquals(18, loadedAndRun(jar("subclass", fix, patchClass(fix, "jarapp/Shelf", mv -> {
            mv.visitTypeInsn(Opcodes.NEW, "jarapp/fix/ShelfFix");
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "jarapp/fix/ShelfFix", "<init>", "()V", false);
            mv.visitVarInsn(Opcodes.ASTORE, 1);
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/fix/ShelfFix", "sized", "()I", false);
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            mv.visitFieldInsn(Opcodes.GETFIELD, "jarapp/fix/ShelfFix", "stock", "I");
            mv.visitInsn(Opcodes.IADD);
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/Shelf", "size", "()I", false);
            mv.visitInsn(Opcodes.IADD);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Shelf", "twice", "(I)I", false);
            mv.visitInsn(Opcodes.IRETURN);
        }))));
    }

    /** A static call of {@code owner.method()I} (an int on the stack). */
    private static Consumer<MethodVisitor> callsStatic(String owner, String method) {
        return mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, owner, method, "()I", false);
            mv.visitInsn(Opcodes.IRETURN);
        };
    }

    /**
     * jarapp.UnloadedShelf and jarapp.UnloadedLedger are classes of the application it has not loaded yet:
     * a private, a package-private, an inherited package-private (of UnloadedBase) and a protected member,
     * a package-private field, and a package-private class, each used from the patch's own loader, are
     * refused, read from their class files, and neither class is loaded. Before, each loaded, status said
     * PATCHED, and every call threw IllegalAccessError once the application had loaded the class.
     */
    @Test
    void aMemberOrClassOfAnApplicationClassNotLoadedYetThatTheOwnLoaderCannotAccessIsRefused() throws Exception {
        String fix = "jarapp.fix.UnloadedUser";
        Jars.refused(jar("unloaded-private", fix, patchClass(fix, "java/lang/Object",
                callsStatic("jarapp/UnloadedShelf", "hidden"))), Reason.INVALID_PATCH, "class " + fix + " uses method"
                + " jarapp.UnloadedShelf.hidden() returning int, which is private: a class in the patch's own class"
                + " loader cannot access it", "IllegalAccessError", "in package jarapp",
                "Livepatch-Nestmates: <that class>=jarapp.UnloadedShelf");
        Jars.refused(jar("unloaded-package", fix, patchClass(fix, "java/lang/Object",
                callsStatic("jarapp/UnloadedShelf", "packaged"))), Reason.INVALID_PATCH, "uses method"
                + " jarapp.UnloadedShelf.packaged() returning int, which is package-private", "IllegalAccessError");
        Jars.refused(jar("unloaded-inherited", fix, patchClass(fix, "java/lang/Object",
                callsStatic("jarapp/UnloadedShelf", "inherited"))), Reason.INVALID_PATCH, "uses method"
                + " jarapp.UnloadedShelf.inherited() returning int, which is package-private (declared in"
                + " jarapp.UnloadedBase)", "IllegalAccessError", "made a nestmate of jarapp.UnloadedBase");
        Jars.refused(jar("unloaded-field", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitFieldInsn(Opcodes.GETSTATIC, "jarapp/UnloadedShelf", "count", "I");
            mv.visitInsn(Opcodes.IRETURN);
        })), Reason.INVALID_PATCH, "uses field jarapp.UnloadedShelf.count (int), which is package-private",
                "IllegalAccessError");
        Jars.refused(jar("unloaded-protected", fix, patchClass(fix, "java/lang/Object",
                callsStatic("jarapp/UnloadedShelf", "guarded"))), Reason.INVALID_PATCH, "uses method"
                + " jarapp.UnloadedShelf.guarded() returning int, which it cannot access: it is protected, and " + fix
                + " is not a subclass of jarapp.UnloadedShelf", "IllegalAccessError", "in package jarapp");
        Jars.refused(jar("unloaded-class", fix, patchClass(fix, "java/lang/Object",
                callsStatic("jarapp/UnloadedLedger", "total"))), Reason.INVALID_PATCH, "class " + fix + " uses class"
                + " jarapp.UnloadedLedger, which is not public", "IllegalAccessError", "in package jarapp",
                "Livepatch-Nestmates: <that class>=jarapp.UnloadedLedger");
        for (String c : new String[] {"jarapp.UnloadedShelf", "jarapp.UnloadedBase", "jarapp.UnloadedLedger"}) {
            assertFalse(loadedAnywhere(c), "the check loaded " + c);
        }
    }

    /**
     * Public members of a public application class not loaded yet, its own and inherited, in a class the
     * replacement does not call: the patch loads and runs, and the class stays unloaded.
     */
    @Test
    void aPublicMemberOfAnApplicationClassNotLoadedYetIsAllowed() throws Exception {
        String fix = "jarapp.fix.UnloadedFix";
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        entries.put("jarapp/fix/UnloadedFix.class", patchClass(fix, "java/lang/Object", Jars::returnsMinusOne));
        entries.put("jarapp/fix/UnloadedHelper.class", Jars.helperClass("jarapp.fix.UnloadedHelper", mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/UnloadedShelf", "open", "()I", false);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/UnloadedShelf", "shared", "()I", false);
            mv.visitInsn(Opcodes.IADD);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "valueOf", "(I)Ljava/lang/Integer;", false);
            mv.visitInsn(Opcodes.ARETURN);
        }));
        assertEquals(-1, loadedAndRun(Jars.write(dir.resolve("unloaded-public.jar"), Jars.manifest("unloaded-public",
                fix), entries)));
        assertFalse(loadedAnywhere("jarapp.UnloadedShelf"), "the check or the patch loaded jarapp.UnloadedShelf");
    }

    /**
     * A package-private and a private method of jarapp.Packer, loaded, whose descriptor names jarapp.Parcel,
     * which is not: refused, read from Packer's class file, and Parcel stays unloaded. Before, each loaded,
     * status said PATCHED and every call threw IllegalAccessError (a member with a type not loaded yet was
     * not checked).
     */
    @Test
    void aMemberOfALoadedClassWithATypeNotLoadedYetThatTheOwnLoaderCannotAccessIsRefused() throws Exception {
        Jars.loadWhereCounterIs("jarapp.Packer");
        assertFalse(loadedAnywhere("jarapp.Parcel"), "jarapp.Parcel is loaded already: the case needs a class no"
                + " loader has");
        String fix = "jarapp.fix.PackFix";
        String[] members = {"packaged", "hidden"};
        String[] kinds = {"package-private", "private"};
        for (int i = 0; i < members.length; i++) {
            String member = members[i];
            Jars.refused(jar("parcel-" + member, fix, patchClass(fix, "java/lang/Object", mv -> {
                mv.visitInsn(Opcodes.ACONST_NULL);
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Packer", member, "(Ljarapp/Parcel;)I", false);
                mv.visitInsn(Opcodes.IRETURN);
            })), Reason.INVALID_PATCH, "class " + fix + " uses method jarapp.Packer." + member + "(jarapp.Parcel)"
                    + " returning int, which is " + kinds[i] + ": a class in the patch's own class loader cannot access"
                    + " it", "IllegalAccessError", "in package jarapp",
                    "Livepatch-Nestmates: <that class>=jarapp.Packer");
        }
        assertFalse(loadedAnywhere("jarapp.Parcel"), "the check loaded jarapp.Parcel");
    }

    /** {@code new jarapp.CrateFix()}, then {@code use} on it (an int on the stack), returned. */
    private static Consumer<MethodVisitor> onNewCrateFix(Consumer<MethodVisitor> use) {
        return mv -> {
            mv.visitTypeInsn(Opcodes.NEW, "jarapp/CrateFix");
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "jarapp/CrateFix", "<init>", "()V", false);
            use.accept(mv);
            mv.visitInsn(Opcodes.IRETURN);
        };
    }

    /**
     * jarapp.CrateFix, a class of the JAR in the patch's own loader named in package jarapp, extends the
     * application's jarapp.Crate and uses the package-private members it inherits from it, named through
     * itself (this.packed(), CrateFix.count(), this.weight): the same package name, another runtime package,
     * so every call would throw IllegalAccessError. Refused; before, each loaded as PATCHED (the members of
     * a class of the JAR were checked only against the JAR's classes). Its protected size(), on itself, runs.
     */
    @Test
    void aPackagePrivateMemberAJarClassInheritsFromAnApplicationClassIsRefused() throws Exception {
        String fix = "jarapp.CrateFix";
        Jars.refused(jar("inherited-method", fix, patchClass(fix, "jarapp/Crate", onNewCrateFix(mv ->
                mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/CrateFix", "packed", "()I", false)))),
                Reason.INVALID_PATCH, "class " + fix + " uses method jarapp.CrateFix.packed() returning int, which is"
                + " package-private (declared in jarapp.Crate): a class in the patch's own class loader cannot access"
                + " it", "IllegalAccessError",
                "in package jarapp", "Livepatch-Nestmates: <that class>=jarapp.Crate");
        Jars.refused(jar("inherited-static", fix, patchClass(fix, "jarapp/Crate", onNewCrateFix(mv -> {
            mv.visitInsn(Opcodes.POP);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/CrateFix", "count", "()I", false);
        }))), Reason.INVALID_PATCH, "uses method jarapp.CrateFix.count() returning int, which is package-private"
                + " (declared in jarapp.Crate)",
                "IllegalAccessError");
        Jars.refused(jar("inherited-field", fix, patchClass(fix, "jarapp/Crate", onNewCrateFix(mv ->
                mv.visitFieldInsn(Opcodes.GETFIELD, "jarapp/CrateFix", "weight", "I")))), Reason.INVALID_PATCH,
                "uses field jarapp.CrateFix.weight (int), which is package-private (declared in jarapp.Crate)",
                "IllegalAccessError");
        assertEquals(1, loadedAndRun(jar("inherited-protected", fix, patchClass(fix, "jarapp/Crate", onNewCrateFix(mv ->
                mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/CrateFix", "size", "()I", false))))));
    }

    /**
     * jarapp.Resolved's weight() and heft, each of which a superclass declares public and another
     * supertype private or package-private: the JVM resolves weight() to ResolvedBase's public method
     * (a class's superclasses before its interfaces, whose private methods are not found through it)
     * and heft to Resolving's public field (a class's interfaces before its superclass), so the patch
     * loads and runs. Before, each was refused as private or package-private: the check looked in the
     * supertypes breadth first and found the other.
     */
    @Test
    void aMemberIsLookedForInTheOrderTheJvmResolvesIt() throws Exception {
        Class.forName("jarapp.Resolved");
        String fix = "jarapp.fix.ResolvedFix";
        assertEquals(3, loadedAndRun(jar("resolved-method", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitTypeInsn(Opcodes.NEW, "jarapp/Resolved");
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "jarapp/Resolved", "<init>", "()V", false);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/Resolved", "weight", "()I", false);
            mv.visitInsn(Opcodes.IRETURN);
        }))));
        Jars.removeAll();
        assertEquals(6, loadedAndRun(jar("resolved-field", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitFieldInsn(Opcodes.GETSTATIC, "jarapp/Resolved", "heft", "I");
            mv.visitInsn(Opcodes.IRETURN);
        }))));
    }

    /**
     * Members the JVM finds through supertypes, each of which runs from a class of the patch's own loader:
     * Measure's default method, whose descriptor names jarapp.Wrapping (not loaded), through Measured, its
     * abstract superclass and the interface; Measure's static method through the interface; Object's
     * equals through the interface type; isEmpty(), which jarapp.UnloadedListed (not loaded yet, read from
     * its class files) inherits from the JDK's AbstractCollection, and size() from its application
     * superclass. None is refused, and Wrapping stays unloaded.
     */
    @Test
    void membersFoundThroughSupertypesAsTheJvmFindsThemAreNotRefused() throws Exception {
        Class.forName("jarapp.Measured");
        assertFalse(loadedAnywhere("jarapp.Wrapping"), "jarapp.Wrapping is loaded already: the case needs a class no"
                + " loader has");
        assertFalse(loadedAnywhere("jarapp.UnloadedListed"), "jarapp.UnloadedListed is loaded already");
        String fix = "jarapp.fix.MeasureFix";
        assertEquals(29, loadedAndRun(jar("through-supertypes", fix, patchClass(fix, "java/lang/Object", mv -> {
            String measure = "(Ljarapp/Wrapping;)I";
            for (String owner : new String[] {"jarapp/Measured", "jarapp/AbstractMeasured", "jarapp/Measure"}) {
                newInstance(mv, "jarapp/Measured");
                mv.visitInsn(Opcodes.ACONST_NULL);
                boolean itf = owner.equals("jarapp/Measure");
                mv.visitMethodInsn(itf ? Opcodes.INVOKEINTERFACE : Opcodes.INVOKEVIRTUAL, owner, "measure", measure, itf);
            }
            mv.visitInsn(Opcodes.IADD);
            mv.visitInsn(Opcodes.IADD); // 21
            mv.visitInsn(Opcodes.ICONST_3);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Measure", "twice", "(I)I", true);
            mv.visitInsn(Opcodes.IADD); // 27
            newInstance(mv, "jarapp/Measured");
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, "jarapp/Measure", "equals", "(Ljava/lang/Object;)Z", true);
            mv.visitInsn(Opcodes.IADD); // 28
            newInstance(mv, "jarapp/UnloadedListed");
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/UnloadedListed", "isEmpty", "()Z", false);
            mv.visitInsn(Opcodes.SWAP);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/UnloadedListed", "size", "()I", false);
            mv.visitInsn(Opcodes.IADD);
            mv.visitInsn(Opcodes.IADD); // 29
            mv.visitInsn(Opcodes.IRETURN);
        }))));
        assertFalse(loadedAnywhere("jarapp.Wrapping"), "the check or the patch loaded jarapp.Wrapping");
    }

    /**
     * jarapp.Generated, defined from memory in the application's loader (a generated class: no class file
     * to read), with public static methods, one of whose descriptor names jarapp.NoSuchType, which no
     * loader has: the patch calling both is not refused (what a missing file cannot tell is the JVM's to
     * say at the call), loads and runs.
     */
    @Test
    void membersOfALoadedClassWithoutAClassFileAreNotRefused() throws Exception {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "jarapp/Generated", null, "java/lang/Object",
                null);
        String[][] methods = {{"typed", "(Ljarapp/NoSuchType;)I"}, {"plain", "()I"}};
        for (String[] m : methods) {
            MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, m[0], m[1], null, null);
            mv.visitCode();
            mv.visitIntInsn(Opcodes.BIPUSH, m[0].length()); // 5 and 5
            mv.visitInsn(Opcodes.IRETURN);
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        }
        cw.visitEnd();
        java.lang.invoke.MethodHandles.privateLookupIn(Counter.class, java.lang.invoke.MethodHandles.lookup())
                .defineClass(cw.toByteArray());
        assertTrue(Counter.class.getClassLoader().getResource("jarapp/Generated.class") == null);
        String fix = "jarapp.fix.GeneratedFix";
        assertEquals(10, loadedAndRun(jar("generated", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Generated", "typed", "(Ljarapp/NoSuchType;)I", false);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Generated", "plain", "()I", false);
            mv.visitInsn(Opcodes.IADD);
            mv.visitInsn(Opcodes.IRETURN);
        }))));
    }

    /**
     * Protected members a class of the patch's own loader, in another package than the application class it
     * extends, inherits and uses on itself (named through itself: today's checkJarAccess path): Crate's
     * size(), and the JDK's AbstractList.modCount and removeRange that jarapp.Tally inherits. Each is what a
     * subclass may use (JVMS 5.4.4), so the patch loads and runs.
     */
    @Test
    void protectedMembersAJarSubclassInOtherPackageUsesOnItselfAreNotRefused() throws Exception {
        String crateFix = "jarapp.fix.SubCrate";
        assertEquals(1, loadedAndRun(jar("protected-crate", crateFix, patchClass(crateFix, "jarapp/Crate", mv -> {
            newInstance(mv, "jarapp/fix/SubCrate");
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/fix/SubCrate", "size", "()I", false);
            mv.visitInsn(Opcodes.IRETURN);
        }))));
        Jars.removeAll();
        String tallyFix = "jarapp.fix.SubTally";
        assertEquals(1, loadedAndRun(jar("protected-jdk", tallyFix, patchClass(tallyFix, "jarapp/Tally", mv -> {
            newInstance(mv, "jarapp/fix/SubTally");
            mv.visitInsn(Opcodes.DUP);
            mv.visitInsn(Opcodes.ICONST_0);
            mv.visitInsn(Opcodes.ICONST_0);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/fix/SubTally", "removeRange", "(II)V", false);
            mv.visitFieldInsn(Opcodes.GETFIELD, "jarapp/fix/SubTally", "modCount", "I"); // 1: removeRange counts one
            mv.visitInsn(Opcodes.IRETURN);
        }))));
    }

    /** {@code new internalName()} on the stack. */
    private static void newInstance(MethodVisitor mv, String internalName) {
        mv.visitTypeInsn(Opcodes.NEW, internalName);
        mv.visitInsn(Opcodes.DUP);
        mv.visitMethodInsn(Opcodes.INVOKESPECIAL, internalName, "<init>", "()V", false);
    }

    /**
     * Duplicable.clone(), which Duplicable inherits public from the interface Copyable: the JVM resolves it
     * there, skipping java.lang.Object's protected clone() (JVMS 5.4.3.4: an interface's method is looked for
     * in Object among its public instance methods only), so a class of the patch's own loader may call it,
     * through a loaded interface and through one not loaded yet (UnloadedDuplicable, read from its class
     * file). Before, each was refused as Object's protected method, used from no subclass of it.
     */
    @Test
    void aPublicMethodAnInterfaceInheritsIsNotTakenForObjectsProtectedOne() throws Exception {
        String fix = "jarapp.fix.CopyFix";
        assertFalse(loadedAnywhere("jarapp.UnloadedDuplicable"), "jarapp.UnloadedDuplicable is loaded already: the"
                + " case needs a class no loader has");
        assertEquals(6, loadedAndRun(jar("unloaded-interface-clone", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitTypeInsn(Opcodes.NEW, "jarapp/UnloadedCopier");
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "jarapp/UnloadedCopier", "<init>", "()V", false);
            mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, "jarapp/UnloadedDuplicable", "clone", "()Ljava/lang/Object;",
                    true);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "java/lang/String");
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/String", "length", "()I", false);
            mv.visitInsn(Opcodes.IRETURN);
        }))));
        Jars.removeAll();
        Class.forName("jarapp.Copier");
        assertEquals(4, loadedAndRun(jar("interface-clone", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Copier", "make", "()Ljarapp/Duplicable;", false);
            mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, "jarapp/Duplicable", "clone", "()Ljava/lang/Object;", true);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "java/lang/String");
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/String", "length", "()I", false);
            mv.visitInsn(Opcodes.IRETURN);
        }))));
    }

    /**
     * A class of the JAR: {@code int m()} static methods of each access ({@code open} public, {@code packaged}
     * package-private, {@code guarded} protected, {@code hidden} private) returning 9, and a package-private
     * static int field {@code count}; the class public when {@code isPublic}.
     */
    static byte[] jarClass(String binaryName, boolean isPublic) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, (isPublic ? Opcodes.ACC_PUBLIC : 0) | Opcodes.ACC_SUPER, binaryName.replace('.', '/'),
                null, "java/lang/Object", null);
        cw.visitField(Opcodes.ACC_STATIC, "count", "I", null, null).visitEnd();
        String[] names = {"open", "packaged", "guarded", "hidden"};
        int[] access = {Opcodes.ACC_PUBLIC, 0, Opcodes.ACC_PROTECTED, Opcodes.ACC_PRIVATE};
        for (int i = 0; i < names.length; i++) {
            MethodVisitor mv = cw.visitMethod(access[i] | Opcodes.ACC_STATIC, names[i], "()I", null, null);
            mv.visitCode();
            mv.visitIntInsn(Opcodes.BIPUSH, 9);
            mv.visitInsn(Opcodes.IRETURN);
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        }
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** A JAR of patch class {@code fix} (Livepatch-Class) and the JAR's class {@code other}, with extra attributes. */
    private Path twoClasses(String name, String fix, byte[] fixBytes, String other, byte[] otherBytes,
                            String... attributes) throws Exception {
        Map<String, String> manifest = Jars.manifest(name, fix);
        for (int i = 0; i < attributes.length; i += 2) {
            manifest.put(attributes[i], attributes[i + 1]);
        }
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        entries.put(fix.replace('.', '/') + ".class", fixBytes);
        entries.put(other.replace('.', '/') + ".class", otherBytes);
        return Jars.write(dir.resolve(name + ".jar"), manifest, entries);
    }

    /**
     * jarapp.fix.CrossFix uses a package-private, private and protected method, a package-private field
     * and a package-private class of jarapp.fixhelp.Helper, another package of the same JAR: both in the
     * patch's own class loader, of different runtime packages. Each is refused saying to make it public or
     * put both in one package; before, each loaded, status said PATCHED and every call threw
     * IllegalAccessError.
     */
    @Test
    void aPackagePrivateMemberOrClassOfTheJarUsedFromAnotherOfItsPackagesIsRefused() throws Exception {
        String fix = "jarapp.fix.CrossFix";
        String helper = "jarapp.fixhelp.Helper";
        String[] members = {"packaged", "hidden", "guarded"};
        String[] why = {"it is package-private", "it is private", "it is protected, and " + fix + " is not a subclass"
                + " of " + helper};
        for (int i = 0; i < members.length; i++) {
            Jars.refused(twoClasses("cross-" + members[i], fix, patchClass(fix, "java/lang/Object",
                    callsStatic("jarapp/fixhelp/Helper", members[i])), helper, jarClass(helper, true)),
                    Reason.INVALID_PATCH, "class " + fix + " uses method " + helper + "." + members[i] + "() returning"
                    + " int, which it cannot access: " + why[i], "a class of the patch JAR too, is in another package"
                    + " (jarapp.fixhelp, not jarapp.fix)", "IllegalAccessError", "Make it public, or put both classes"
                    + " in one package");
        }
        Jars.refused(twoClasses("cross-field", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitFieldInsn(Opcodes.GETSTATIC, "jarapp/fixhelp/Helper", "count", "I");
            mv.visitInsn(Opcodes.IRETURN);
        }), helper, jarClass(helper, true)), Reason.INVALID_PATCH, "uses field " + helper + ".count (int), which it"
                + " cannot access: it is package-private", "IllegalAccessError", "Make it public");
        Jars.refused(twoClasses("cross-class", fix, patchClass(fix, "java/lang/Object",
                callsStatic("jarapp/fixhelp/Helper", "open")), helper, jarClass(helper, false)), Reason.INVALID_PATCH,
                "class " + fix + " uses class " + helper + ", which it cannot access: not public, and " + helper,
                "IllegalAccessError", "Make " + helper + " public, or put both classes in one package");
    }

    /**
     * The same, a package-private method of jarapp.fixhelp.ParcelHelper whose descriptor names jarapp.Parcel,
     * not loaded yet: refused, read from the JAR's class file, and Parcel stays unloaded. Before, it loaded as
     * PATCHED and every call threw IllegalAccessError (a member with a type not loaded yet was not checked).
     */
    @Test
    void aPackagePrivateMemberOfTheJarWithATypeNotLoadedYetUsedFromAnotherOfItsPackagesIsRefused() throws Exception {
        assertFalse(loadedAnywhere("jarapp.Parcel"), "jarapp.Parcel is loaded already: the case needs a class no"
                + " loader has");
        String fix = "jarapp.fix.ParcelFix";
        String helper = "jarapp.fixhelp.ParcelHelper";
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "jarapp/fixhelp/ParcelHelper", null,
                "java/lang/Object", null);
        MethodVisitor m = cw.visitMethod(Opcodes.ACC_STATIC, "packaged", "(Ljarapp/Parcel;)I", null, null);
        m.visitCode();
        m.visitIntInsn(Opcodes.BIPUSH, 9);
        m.visitInsn(Opcodes.IRETURN);
        m.visitMaxs(0, 0);
        m.visitEnd();
        cw.visitEnd();
        Jars.refused(twoClasses("cross-parcel", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/fixhelp/ParcelHelper", "packaged", "(Ljarapp/Parcel;)I",
                    false);
            mv.visitInsn(Opcodes.IRETURN);
        }), helper, cw.toByteArray()), Reason.INVALID_PATCH, "class " + fix + " uses method " + helper
                + ".packaged(jarapp.Parcel) returning int, which it cannot access: it is package-private", "a class of"
                + " the patch JAR too, is in another package (jarapp.fixhelp, not jarapp.fix)", "IllegalAccessError");
        assertFalse(loadedAnywhere("jarapp.Parcel"), "the check loaded jarapp.Parcel");
    }

    /**
     * The same package-private members and class in the same package of the JAR (one runtime package), and
     * a public member of a public class of another: the patch loads and runs.
     */
    @Test
    void aPackagePrivateMemberOfTheJarInTheSamePackageOrAPublicOneOfAnotherIsAllowed() throws Exception {
        String fix = "jarapp.fix.SameFix";
        assertEquals(18, loadedAndRun(twoClasses("same-package", fix, patchClass(fix, "java/lang/Object", mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/fix/SameHelper", "packaged", "()I", false);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/fix/SameHelper", "guarded", "()I", false);
            mv.visitInsn(Opcodes.IADD);
            mv.visitFieldInsn(Opcodes.GETSTATIC, "jarapp/fix/SameHelper", "count", "I");
            mv.visitInsn(Opcodes.IADD);
            mv.visitInsn(Opcodes.IRETURN);
        }), "jarapp.fix.SameHelper", jarClass("jarapp.fix.SameHelper", false))));
        Jars.removeAll();
        String other = "jarapp.fix.OpenFix";
        assertEquals(9, loadedAndRun(twoClasses("other-package", other, patchClass(other, "java/lang/Object",
                callsStatic("jarapp/fixhelp/OpenHelper", "open")), "jarapp.fixhelp.OpenHelper",
                jarClass("jarapp.fixhelp.OpenHelper", true))));
    }

    /**
     * A Livepatch-Nestmates class of jarapp.Counter (package jarapp) using a package-private member of a
     * class it carries into jarapp: both run in jarapp.Counter's loader and package, so the patch loads
     * and runs, as it did before.
     */
    @Test
    void aNestmateUsingAPackagePrivateMemberOfAClassCarriedIntoItsPackageIsAllowed() throws Exception {
        String nestmate = "jarapp.CrossNestFix";
        String carried = "jarapp.CrossCarried";
        assertEquals(9, loadedAndRun(twoClasses("nestmate-carried", nestmate, Jars.patchClass(nestmate,
                callsStatic("jarapp/CrossCarried", "packaged")), carried, jarClass(carried, false),
                "Livepatch-Nestmates", nestmate + "=jarapp.Counter", "Livepatch-New-Classes", carried)));
    }

    /**
     * A Livepatch-Nestmates class of jarapp.Counter (package jarapp) using a package-private member of a
     * class carried into jarapp.fix (with a nestmate of jarapp.fix.CounterFix): both in the application's
     * loader, of different packages, so every call would throw IllegalAccessError. Refused; before, it
     * loaded as PATCHED.
     */
    @Test
    void aNestmateUsingAPackagePrivateMemberOfAClassCarriedIntoAnotherPackageIsRefused() throws Exception {
        String nestmate = "jarapp.CrossNestFix2";
        String other = "jarapp.fix.CrossNestOther";
        String carried = "jarapp.fix.CrossCarried2";
        Map<String, String> manifest = Jars.manifest("nestmate-elsewhere", nestmate);
        manifest.put("Livepatch-Nestmates", nestmate + "=jarapp.Counter," + other + "=jarapp.fix.CounterFix");
        manifest.put("Livepatch-New-Classes", carried);
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        entries.put(nestmate.replace('.', '/') + ".class", Jars.patchClass(nestmate,
                callsStatic("jarapp/fix/CrossCarried2", "packaged")));
        entries.put(other.replace('.', '/') + ".class", Jars.helperClass(other, mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitInsn(Opcodes.ARETURN);
        }));
        entries.put(carried.replace('.', '/') + ".class", jarClass(carried, true));
        Jars.refused(Jars.write(dir.resolve("nestmate-elsewhere.jar"), manifest, entries), Reason.INVALID_PATCH,
                "class " + nestmate + " uses method " + carried + ".packaged() returning int, which it cannot access: it"
                + " is package-private, and " + carried + ", a class of the patch JAR too, is in another package"
                + " (jarapp.fix, not jarapp)", "IllegalAccessError", "Make it public, or put both classes in one package");
        assertFalse(Arrays.stream(ByteBuddyAgent.install().getInitiatedClasses(ClassLoader.getSystemClassLoader()))
                .anyMatch(c -> c.getName().equals(carried)), "carried before the refusal: " + carried);
    }
}
