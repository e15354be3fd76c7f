package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.Text;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Modifier;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kernel's symbol resolution at module load ({@code klp_resolve_symbols}: a livepatch module
 * whose symbol the running kernel lacks is refused, never loaded to fail later): every method and
 * field a patch class names is looked up in the running classes, as the JVM's first call of it
 * would. A patch built against another version of a library than the one running (a method it
 * calls was added later, a field renamed) verifies and links, and without this check it loaded,
 * enabled, and then threw {@code NoSuchMethodError} at every call of the replacement.
 *
 * <p>Only what resolving costs nothing in the application is checked: members of the JAR's own
 * classes, of the JDK, of jlivepatch's API, and of the application's classes. A class the application
 * has not loaded yet is not loaded here to check it (loading it would be a change to the application
 * the patch did not ask for): it is read from the class file the target's loader serves for it, as the
 * loader would load it, and its supertypes' (a patch compiled into its package, where javac allows a
 * package-private member, loaded as PATCHED and threw at every call once the application loaded the
 * class); where that file cannot be read the reference is left to the JVM's own resolution at the
 * first call. A member of a loaded class, or of the JAR's, whose descriptor names a class not loaded
 * yet is read from the class files the same way ({@link #checkTypeNotLoaded}: a lookup of it would
 * load that class), and one of the JDK's classes from the JDK's class files
 * ({@link #checkJdkTypeNotLoaded}).
 * Nothing is initialized, and no application class is linked: an application class's members are
 * read from its class files and its supertypes' (a lookup would link the class, whose verification
 * loads more of the application's classes), each file read once per patch; the JDK's and the JAR's
 * are resolved with a lookup, the JVM's own resolution, which runs nothing, where their types are
 * loaded.
 *
 * <p>Only a reference the running code does not make already is new: a method compatible with two
 * versions of a library ({@code v2 ? Lib.newApi() : Lib.oldApi()}), or using an optional JDK module on
 * a branch it never takes, names what is missing and runs, since the JVM resolves a reference at its
 * first use; a patch of it that keeps the reference runs as well (review of the first version: it
 * refused such patches, even the one {@code jlivepatch build} makes from the running build). So what
 * the running classes the patch replaces (and hosts its nestmates in) name is never refused, and
 * when one of their class files cannot be read to tell, nothing is checked.
 *
 * <p>The same walk refuses what the JVM's access check (JVMS 5.4.4) refuses a class in the patch's
 * own class loader at every use, named by the running code or not: that loader is another runtime
 * package than any application class and an unnamed module, so a private or package-private member,
 * a class that is not public, a protected member outside a subclass, and a JDK package its module
 * does not export can never be used from there. Among the JAR's own classes the same holds across
 * their packages ({@link #acrossPackages}), in the patch's own loader or in a host's.
 *
 * <p>A refusal names classes and members as the JAR's class files spell them, and the JVM takes an escape,
 * a BEL or a line break in a name: each name is escaped ({@link Text#clean}) where it enters a message, in
 * the helpers that build a part of one ({@link #member}, {@link #protectedClosed}), else in the refusal
 * itself, so a part a helper made is never escaped twice.
 */
final class MemberReferences {

    /** What a refusal says of a java.* class this JVM cannot give the patch, and what to do. */
    static final String NOT_IN_THIS_JAVA = ", which this Java runtime (Java " + Runtime.version().feature() + ") does"
            + " not have or does not let the application's class loader see (a JDK module left out: jlink,"
            + " --limit-modules)";
    static final String COMPILE_FOR_THIS_JAVA = "Compile the patch for the Java the application runs on (javac"
            + " --release " + Runtime.version().feature() + ") and use only the modules it runs with";

    private static final int CLASS = 7;
    private static final int FIELD = 9;
    private static final int METHOD = 10;
    private static final int INTERFACE_METHOD = 11;
    private static final int METHOD_HANDLE = 15;
    private static final int METHOD_TYPE = 16;
    private static final int INVOKE_DYNAMIC = 18;

    private final PatchJar jar;
    private final ClassLoader targetLoader;
    private final Instrumentation inst;
    /**
     * What the running classes the patch replaces name: {@code owner.name descriptor} of each member
     * and the internal name of each class; null when one of their class files could not be read.
     */
    private final Set<String> running;
    /**
     * The classes the target's loader has loaded or asked for, by name; read once, when first needed,
     * with the layers of their modules into {@link #layers}.
     */
    private Set<String> loaded;
    /**
     * The module layers a class of the application not loaded yet may be in (see {@link #applicationModule}):
     * the boot layer (the module path), the layers of the loaded classes the patch replaces, and those of
     * the classes the target's loader has loaded or asked for ({@link #loaded}): a loader checked with no
     * loaded copies (a second one at the load, one that defines a target class after it, in a layer of its
     * own) finds its layer there; before, only the boot layer was looked in for it, and a patch using a
     * class of a package its module does not export was PATCHED there and threw at every call.
     */
    private final Set<ModuleLayer> layers;

    /**
     * The check of a JAR's classes against the classes {@code targetLoader} (the primary loader) sees;
     * {@code replaced} are the classes the patch replaces and its nestmates' hosts, {@code loadedCopies}
     * their loaded copies, by name ({@link #running}).
     */
    MemberReferences(PatchJar jar, ClassLoader targetLoader, Instrumentation inst, Set<String> replaced,
                     Map<String, List<Class<?>>> loadedCopies) {
        this.jar = jar;
        this.targetLoader = targetLoader;
        this.inst = inst;
        this.running = running(replaced, loadedCopies);
        Set<ModuleLayer> in = new java.util.LinkedHashSet<>();
        in.add(ModuleLayer.boot());
        for (List<Class<?>> copies : loadedCopies.values()) {
            for (Class<?> c : copies) {
                ModuleLayer layer = c.getModule().getLayer();
                if (layer != null) {
                    in.add(layer);
                }
            }
        }
        this.layers = in;
    }

    /**
     * What the running class files of {@code classNames} name ({@link #running}): read from the
     * loader of their first loaded copy ({@code loadedCopies}), else from the target's loader, as the check of
     * the classes a patch was built against reads them; null when one cannot be read. Each file is
     * read into the check's cache, where the check of a member of that class finds it again.
     */
    private Set<String> running(Set<String> classNames, Map<String, List<Class<?>>> loadedCopies) {
        Set<String> names = new HashSet<>();
        for (String cls : classNames) {
            List<Class<?>> copies = loadedCopies.get(cls);
            ClassLoader l = copies != null && !copies.isEmpty() ? copies.get(0).getClassLoader() : targetLoader;
            // Another patch's loader (were it one) is not to be read as this check's loader of the JAR's classes.
            byte[] bytes = l instanceof PatchClassLoader ? classFile(l, cls.replace('.', '/'))
                    : classFileOnce(l, cls.replace('.', '/'));
            if (bytes == null) {
                return null;
            }
            try {
                ClassReader reader = new ClassReader(bytes);
                char[] buf = new char[reader.getMaxStringLength()];
                for (int i = 1; i < reader.getItemCount(); i++) {
                    int at = reader.getItem(i);
                    if (at == 0) {
                        continue;
                    }
                    int tag = reader.readByte(at - 1);
                    if (tag == CLASS) {
                        names.add(reader.readUTF8(at, buf));
                    } else if (tag == FIELD || tag == METHOD || tag == INTERFACE_METHOD) {
                        names.add(key(reader, at, buf));
                    }
                }
            } catch (RuntimeException e) {
                return null; // not a class file ASM reads: nothing to tell new references by
            }
        }
        return names;
    }

    /** The class file of {@code internalName} as {@code l} (null: the boot loader) serves it, or null. */
    private static byte[] classFile(ClassLoader l, String internalName) {
        String resource = internalName + ".class";
        try (java.io.InputStream in = l == null ? ClassLoader.getSystemResourceAsStream(resource)
                : l.getResourceAsStream(resource)) {
            return in == null ? null : in.readAllBytes();
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /** {@code owner.name descriptor} of the member reference at {@code at}. */
    private static String key(ClassReader reader, int at, char[] buf) {
        String owner = reader.readClass(at, buf);
        int nameAndType = reader.getItem(reader.readUnsignedShort(at + 2));
        return owner + "." + reader.readUTF8(nameAndType, buf) + " " + reader.readUTF8(nameAndType + 2, buf);
    }

    /**
     * Refuses ({@code SIGNATURE_MISMATCH}) {@code checked}, a class of the JAR defined for checking
     * (its types resolved as the patch's will be), when a member it names is missing from the class
     * it names it in.
     */
    void check(Class<?> checked, byte[] bytes) throws PatchException {
        if (running == null) {
            return; // what is new cannot be told (see the class comment)
        }
        ClassReader reader = new ClassReader(bytes);
        char[] buf = new char[reader.getMaxStringLength()];
        ClassLoader loader = checked.getClassLoader();
        // The classes whose access the JVM checks (JVMS 5.4.3.1: a class constant, a member's class; 5.4.3.5:
        // the types of a method type, of a method handle's member and of a dynamic call site), checked
        // after the members, whose refusals name the member used; in the patch's own loader only (and
        // for the JAR's classes of another package, in a nestmate or carried class too: see acrossPackages).
        Set<String> classes = loader instanceof PatchClassLoader ? new java.util.LinkedHashSet<>() : null;
        for (int i = 1; i < reader.getItemCount(); i++) {
            int at = reader.getItem(i);
            if (at == 0) {
                continue; // the second slot of a long or double constant
            }
            int tag = reader.readByte(at - 1);
            if (classes != null) {
                if (tag == CLASS) {
                    addClass(reader.readUTF8(at, buf), classes);
                } else if (tag == METHOD_TYPE) {
                    addTypes(reader.readUTF8(at, buf), classes);
                } else if (tag == INVOKE_DYNAMIC) {
                    addTypes(reader.readUTF8(reader.getItem(reader.readUnsignedShort(at + 2)) + 2, buf), classes);
                } else if (tag == METHOD_HANDLE) {
                    int member = reader.getItem(reader.readUnsignedShort(at + 1));
                    addTypes(reader.readUTF8(reader.getItem(reader.readUnsignedShort(member + 2)) + 2, buf), classes);
                } else if (tag == METHOD && signaturePolymorphic(reader.readClass(at, buf))) {
                    addTypes(reader.readUTF8(reader.getItem(reader.readUnsignedShort(at + 2)) + 2, buf), classes);
                }
            }
            if (tag != FIELD && tag != METHOD && tag != INTERFACE_METHOD) {
                continue;
            }
            String owner = reader.readClass(at, buf);
            int nameAndType = reader.getItem(reader.readUnsignedShort(at + 2));
            String name = reader.readUTF8(nameAndType, buf);
            String descriptor = reader.readUTF8(nameAndType + 2, buf);
            String key = owner + "." + name + " " + descriptor;
            boolean field = tag == FIELD;
            if (owner.startsWith("[") || name.equals("<clinit>") || owner.equals("java/lang/invoke/MethodHandle")
                    || owner.equals("java/lang/invoke/VarHandle")) {
                continue; // an array's clone(), or a signature-polymorphic method: any descriptor resolves
            }
            // The running code naming a member says it exists, not that a class in another loader may use it.
            boolean named = running.contains(key);
            if (named && !inOwnLoader(checked)) {
                continue; // the running code names it too: not the patch's to answer for
            }
            if (usedOf == bytes && !usedKeys.contains(key)) {
                continue; // read for an earlier missing member: no instruction uses this one
            }
            Class<?> ownerClass = loadIfHarmless(owner, key, descriptor, field, checked, bytes);
            if (ownerClass == null) {
                checkNotLoaded(checked, bytes, owner, name, descriptor, field, key, named);
                continue;
            }
            ClassLoader ownerLoader = ownerClass.getClassLoader();
            if (ownerLoader == loader && loader instanceof PatchClassLoader
                    && (!ownerClass.getPackageName().equals(checked.getPackageName()) || inOwnLoader(checked))) {
                String[] in = new String[1];
                Integer access = declared(loader, owner, name, descriptor, field, loader, in, true);
                checkJarAccess(checked, bytes, ownerClass, name, descriptor, field, key, access, in[0]);
            }
            if (inOwnLoader(checked) && ownerLoader != null && ownerLoader != ClassLoader.getPlatformClassLoader()
                    && !(ownerLoader instanceof PatchClassLoader) && !(ownerLoader instanceof RenamedClasses)) {
                String[] in = new String[1];
                Integer access = declared(ownerLoader, owner, name, descriptor, field, loader, in, true);
                checkAccess(checked, bytes, ownerClass.getName(), name, descriptor, field, key, access, in[0]);
            }
            if (inOwnLoader(checked) && (ownerLoader == null || ownerLoader == ClassLoader.getPlatformClassLoader())) {
                String closed = jdkClosed(ownerClass, checked, name, descriptor, field);
                if (closed != null && used(bytes).contains(key)) {
                    throw refuseJdkAccess(checked, ownerClass.getName(), field, name, descriptor, closed);
                }
            }
            if (named) {
                continue;
            }
            boolean found;
            if (ownerLoader == null || ownerLoader == ClassLoader.getPlatformClassLoader()
                    || ownerLoader instanceof PatchClassLoader || ownerLoader instanceof RenamedClasses) {
                found = has(ownerClass, name, descriptor, field, loader);
            } else {
                // The application's class: asked of its class files, not of a lookup, which would link
                // it, and linking verifies it and loads the classes its verification needs: a change to
                // the application the patch did not ask for (second review). The lookup is asked only
                // to confirm a member its files lack (a member another agent added at load).
                Integer declared = declared(ownerLoader, owner, name, descriptor, field, loader, null, true);
                found = declared == null || declared >= 0 || !used(bytes).contains(key)
                        || has(ownerClass, name, descriptor, field, loader);
            }
            // A constant no instruction uses is no reference: a class rewritten by ASM keeps its
            // reader's pool (jlivepatch build's access to an added field, turned into its shadow's).
            if (!found && used(bytes).contains(key)) {
                throw refuse(checked, ownerClass.getName(), ownerLoader, false, member(owner, name, descriptor, field),
                        field ? "NoSuchFieldError" : "NoSuchMethodError");
            }
        }
        if (classes != null) {
            for (String c : classes) {
                PatchException closed = closedClass(c, checked);
                if (closed != null && used(bytes).contains(c)) {
                    throw closed;
                }
            }
        }
    }

    /**
     * Refuses {@code checked}'s use of a private, package-private or protected member of the application's
     * class {@code owner} (binary name) that the JVM's access check refuses a class in the patch's own class
     * loader at every call; {@code access} and {@code declaring} (internal name) as {@link #declared} tells them.
     */
    private void checkAccess(Class<?> checked, byte[] bytes, String owner, String name, String descriptor,
                             boolean field, String key, Integer access, String declaring) throws PatchException {
        if (access == null || access < 0) {
            return;
        }
        if ((access & (Opcodes.ACC_PUBLIC | Opcodes.ACC_PROTECTED)) == 0 && used(bytes).contains(key)) {
            throw refuseAccess(checked, owner, field, name, descriptor, access,
                    declaring == null ? owner : declaring.replace('/', '.'));
        }
        if ((access & Opcodes.ACC_PROTECTED) != 0 && declaring != null && !protectedOpen(checked,
                declaring.replace('/', '.'), owner, (access & Opcodes.ACC_STATIC) != 0) && used(bytes).contains(key)) {
            throw refuseProtected(checked, owner, field, name, descriptor, declaring.replace('/', '.'));
        }
    }

    /**
     * The check of a member of an application class the target's loader has not loaded yet (nor asked
     * for), read from the class files that loader serves, the class's and its supertypes', as it would
     * load them: nothing is loaded, linked or initialized (see the class comment), and the rules are
     * a loaded class's. Without it, a patch using a member that class's running version lacks, or one
     * the JVM never lets the patch's own loader use, loaded as PATCHED and threw at every call once the
     * application loaded the class. A class file that cannot be found or read leaves the member to the
     * JVM's first call, as before. A class of the JDK's (of a package of the boot layer's, outside java.*)
     * is read from the JDK's files ({@link #checkJdkTypeNotLoaded}) where the target's loader serves the
     * JDK's file for it, as a delegating loader does: one that serves a class file of its own there (a
     * child-first loader with an API JAR of that package) would load that instead, so it is left to the
     * JVM's first call.
     */
    private void checkNotLoaded(Class<?> checked, byte[] bytes, String owner, String name, String descriptor,
                                boolean field, String key, boolean named) throws PatchException {
        ClassLoader loader = checked.getClassLoader();
        if (loader instanceof RenamedClasses) {
            return; // seen by a JDK loader (see loadIfHarmless)
        }
        if (harmless(owner)) {
            checkTypeNotLoaded(checked, bytes, owner, name, descriptor, field, key, named);
            return;
        }
        if (jdkModule(PatchJar.packageOf(owner.replace('/', '.'))) != null) {
            byte[] jdk = classFileOnce(ClassLoader.getPlatformClassLoader(), owner);
            if (jdk != null && java.util.Arrays.equals(jdk, classFileOnce(targetLoader, owner))) {
                checkJdkTypeNotLoaded(checked, bytes, owner, name, descriptor, field, key, named);
            }
            return;
        }
        String[] in = new String[1];
        Integer access = declared(targetLoader, owner, name, descriptor, field, loader, in, false);
        if (access == null) {
            return; // a class file that cannot be read: the JVM's verdict at the first call
        }
        String binaryName = Type.getObjectType(owner).getClassName();
        if (inOwnLoader(checked)) {
            checkAccess(checked, bytes, binaryName, name, descriptor, field, key, access, in[0]);
        }
        if (!named && access < 0 && used(bytes).contains(key)) {
            throw refuse(checked, binaryName, targetLoader, true, member(owner, name, descriptor, field),
                    field ? "NoSuchFieldError" : "NoSuchMethodError");
        }
    }

    /**
     * The check of a member of a loaded application class {@code owner} whose descriptor names a class
     * not loaded yet ({@code Loaded.m(NotLoaded)}), read from the class files of the class and its
     * supertypes, as its loader serves them, with the rules of a loaded class. Without it, a patch calling
     * a method the running class lacks, or one the patch's own loader may never use, loaded as PATCHED and
     * threw at every call. A lookup would resolve the descriptor's classes, loading the one not loaded yet
     * (a change to the application the patch did not ask for), so a member the files lack is not confirmed
     * by one, as it is where its types are loaded: refused as a member of a class not loaded yet is. The
     * same of a member of the JAR's own class ({@code Helper.m(NotLoaded)}), with the JAR's rules, and of
     * a JDK class ({@link #checkJdkTypeNotLoaded}).
     */
    private void checkTypeNotLoaded(Class<?> checked, byte[] bytes, String owner, String name, String descriptor,
                                    boolean field, String key, boolean named) throws PatchException {
        if (owner.startsWith("io/jlivepatch/")) {
            return; // jlivepatch's: the JVM's verdict at the first call
        }
        if (owner.startsWith("java/") && !jar.classes().containsKey(owner)) {
            // Only the JDK defines java.*: not loaded here to tell (nor need it be), its file is read as it is.
            checkJdkTypeNotLoaded(checked, bytes, owner, name, descriptor, field, key, named);
            return;
        }
        ClassLoader loader = checked.getClassLoader();
        Class<?> ownerClass;
        try {
            ownerClass = Class.forName(owner.replace('/', '.'), false, loader); // loaded (or the JAR's) already
        } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
            return; // not loaded after all (a loader that lies about its classes): left to the JVM
        }
        ClassLoader ownerLoader = ownerClass.getClassLoader();
        if (ownerLoader == null || ownerLoader == ClassLoader.getPlatformClassLoader()) {
            checkJdkTypeNotLoaded(checked, bytes, owner, name, descriptor, field, key, named);
            return;
        }
        if (ownerLoader instanceof RenamedClasses || ownerLoader instanceof PatchClassLoader && ownerLoader != loader) {
            return; // a copy's
        }
        String[] in = new String[1];
        Integer access = declared(ownerLoader, owner, name, descriptor, field, loader, in, false);
        if (access == null) {
            return; // a class file that cannot be read: the JVM's verdict at the first call
        }
        if (ownerLoader instanceof PatchClassLoader) {
            checkJarAccess(checked, bytes, ownerClass, name, descriptor, field, key, access, in[0]);
        } else if (inOwnLoader(checked)) {
            checkAccess(checked, bytes, ownerClass.getName(), name, descriptor, field, key, access, in[0]);
        }
        if (!named && access < 0 && used(bytes).contains(key)) {
            throw refuse(checked, ownerClass.getName(), ownerLoader, false, member(owner, name, descriptor, field),
                    field ? "NoSuchFieldError" : "NoSuchMethodError");
        }
    }

    /**
     * The check of a member of the JDK's class {@code owner} whose descriptor names a class no loader has
     * loaded yet ({@code KeyStore.getInstance(javax.security.auth.callback.CallbackHandler)}, a method of
     * another Java), or of one outside java.* not loaded yet itself ({@link #checkNotLoaded}), read from the
     * class files of the class and its supertypes as the JDK's loaders serve them, in the JVM's order of
     * resolution ({@link #declared}), with the rules of a loaded JDK class: one the class lacks is refused
     * as a missing JDK member is ({@code SIGNATURE_MISMATCH}), one the patch's own loader may never use as
     * an inaccessible JDK member is ({@link #refuseJdkAccess}). Without it, each loaded as PATCHED and threw
     * at every call: a lookup, or reflection on the class, would load the descriptor's types (a change to
     * the application the patch did not ask for), so neither is asked, and nothing is loaded, linked or
     * initialized. The cost, for such a reference only (one whose types are all loaded is a lookup, as
     * before): the class file of the class and of each supertype looked in, each read once per patch
     * ({@link #classFileOnce}), and a scan of their member tables; for a class not loaded yet, its file as
     * the target's loader serves it too, compared. A file that cannot be read (a module left out of the
     * image) decides nothing: the JVM's verdict at the first call.
     */
    private void checkJdkTypeNotLoaded(Class<?> checked, byte[] bytes, String owner, String name, String descriptor,
                                       boolean field, String key, boolean named) throws PatchException {
        String[] in = new String[1];
        // The platform loader serves the boot loader's class files too (its parent), never the class path's.
        Integer access = declared(ClassLoader.getPlatformClassLoader(), owner, name, descriptor, field,
                checked.getClassLoader(), in, false);
        if (access == null) {
            return; // a class file that cannot be read: the JVM's verdict at the first call
        }
        String binaryName = Type.getObjectType(owner).getClassName();
        if (access >= 0 && inOwnLoader(checked)) {
            String closed = jdkClosed(owner, checked, access, in[0]);
            if (closed != null && used(bytes).contains(key)) {
                throw refuseJdkAccess(checked, binaryName, field, name, descriptor, closed);
            }
        }
        if (!named && access < 0 && used(bytes).contains(key)) {
            throw refuse(checked, binaryName, null, false, member(owner, name, descriptor, field),
                    field ? "NoSuchFieldError" : "NoSuchMethodError");
        }
    }

    /**
     * {@link #jdkClosed} of the member of the JDK's class {@code owner} (internal name) that {@code declaring}
     * declares with the access flags {@code access}, told from the class files: the JVM checks the class's
     * own flags (a protected nested class is public there, a private one package-private), then the
     * member's. A package its module does not export is {@link #closedClass}'s to refuse (the member's class
     * is a class constant the same instruction uses), with the --add-exports it may take.
     */
    private String jdkClosed(String owner, Class<?> checked, int access, String declaring) {
        String binaryName = Type.getObjectType(owner).getClassName();
        String pkg = PatchJar.packageOf(binaryName);
        Module module = jdkModule(pkg);
        if (module != null && !module.isExported(pkg, checked.getModule())) {
            return null;
        }
        if (!publicOrUnread(classFileOnce(ClassLoader.getPlatformClassLoader(), owner))) {
            return "its class is not public";
        }
        return memberClosed(access, checked, Type.getObjectType(declaring).getClassName(), binaryName);
    }

    /**
     * The member's part of {@link #jdkClosed}: why {@code checked} may not use a member of the JDK's class
     * {@code owner} that {@code declaring} declares (binary names) with the access flags {@code access}, or
     * null. The class file's flags and reflection's modifiers are the same bits (JVMS 4.5, 4.6).
     */
    private static String memberClosed(int access, Class<?> checked, String declaring, String owner) {
        return (access & Opcodes.ACC_PRIVATE) != 0 ? "it is private"
                : (access & Opcodes.ACC_PROTECTED) != 0 ? protectedClosed(checked, declaring, owner,
                (access & Opcodes.ACC_STATIC) != 0)
                : (access & Opcodes.ACC_PUBLIC) != 0 ? null
                : "it is package-private";
    }

    /**
     * The access checks of {@code checked}'s use of a member of the JAR's class {@code ownerClass}, both in the
     * same class loader: {@link #acrossPackages}, and, in the patch's own loader, {@link #checkAccess} of a
     * member it inherits from an application class; {@code access} and {@code declaredIn} as {@link #declared}
     * tells them.
     */
    private void checkJarAccess(Class<?> checked, byte[] bytes, Class<?> ownerClass, String name, String descriptor,
                                boolean field, String key, Integer access, String declaredIn) throws PatchException {
        if (!ownerClass.getPackageName().equals(checked.getPackageName())) {
            PatchException closed = acrossPackages(checked, ownerClass.getName(), name, descriptor, field, access,
                    declaredIn);
            if (closed != null && used(bytes).contains(key)) {
                throw closed;
            }
        }
        if (inOwnLoader(checked) && declaredIn != null && !jar.classes().containsKey(declaredIn)
                && !declaredIn.startsWith("java/")) {
            // A member the JAR's class inherits from an application class it extends is that class's
            // runtime package's, never the patch's own loader's, whatever the package names say.
            checkAccess(checked, bytes, ownerClass.getName(), name, descriptor, field, key, access, declaredIn);
        }
    }

    /**
     * Why the JVM refuses {@code checked} a member of {@code owner} (binary name), both classes of the JAR
     * of different packages, at every use, as a refusal; null when it may be used or is not the JAR's. At
     * run time both are in one class loader: the patch's own (a nestmate or carried class named there
     * is defined there too, from the JAR), or a host's (a nestmate and the classes carried with it, each
     * in its own package, as the check defines them; a JDK host's are checked as renamed copies, not
     * here). So their runtime packages differ as their package names do, as in the check's loader, and
     * a private or package-private member, or a protected one outside a subclass, is refused there.
     * {@code access} and {@code declaredIn} (internal name) are what {@link #declared} tells of the member.
     */
    private PatchException acrossPackages(Class<?> checked, String owner, String name, String descriptor,
                                          boolean field, Integer access, String declaredIn) {
        if (access == null || access < 0 || declaredIn == null || !jar.classes().containsKey(declaredIn)) {
            return null; // not found, or declared by the application or the JDK: the other checks' to say
        }
        String declaring = declaredIn.replace('/', '.');
        if ((access & Opcodes.ACC_PUBLIC) != 0 || PatchJar.packageOf(declaring).equals(checked.getPackageName())) {
            return null;
        }
        boolean isStatic = (access & Opcodes.ACC_STATIC) != 0;
        String why;
        if ((access & Opcodes.ACC_PROTECTED) != 0) {
            if (protectedOpen(checked, declaring, owner, isStatic)) {
                return null;
            }
            why = protectedClosed(checked, declaring, owner, isStatic);
        } else {
            why = (access & Opcodes.ACC_PRIVATE) != 0 ? "it is private" : "it is package-private";
        }
        return refuseAcrossPackages(checked, member(owner.replace('.', '/'), name, descriptor, field), declaring,
                why, "Make it public" + (declaring.equals(owner) ? "" : " (in " + Text.clean(declaring) + ")"));
    }

    /**
     * The refusal of {@code checked}'s use of {@code what} ({@code method p2.B.m() returning int},
     * {@code class p2.B}) of the JAR's class {@code declaring}, of another package, which {@code why};
     * {@code what}, {@code why} and {@code makePublic} escaped already.
     */
    private PatchException refuseAcrossPackages(Class<?> checked, String what, String declaring, String why,
                                                String makePublic) {
        return new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": class "
                + Text.clean(checked.getName()) + " uses " + what + ", which it cannot access: " + why + ", and "
                + Text.clean(declaring) + ", a class of the patch JAR too, is in another package ("
                + Text.clean(PatchJar.packageOf(declaring)) + ", not " + (checked.getPackageName().isEmpty()
                ? "the unnamed package" : Text.clean(checked.getPackageName())) + "), so"
                + " another runtime package (every use reaching it would throw IllegalAccessError). " + makePublic
                + ", or put both classes in one package");
    }

    /** {@code field a.B.f (int)} or {@code method a.B.m(int) returning void}, escaped. */
    private static String member(String owner, String name, String descriptor, boolean field) {
        return Text.clean((field ? "field " : "method ") + Type.getObjectType(owner).getClassName() + "." + name
                + (field ? " (" + Type.getType(descriptor).getClassName() + ")" : describe(descriptor)));
    }

    /**
     * Whether {@code owner} (internal name) is MethodHandle or VarHandle, whose signature-polymorphic calls
     * ({@code next.invokeExact(store, text)}, a {@code @Next} call) resolve the call site's descriptor as a
     * method type, its classes access-checked (JVMS 5.4.3.3, 5.4.3.5): a class the patch's own loader cannot
     * access there throws IllegalAccessError at every call. Their other methods name only java.lang.invoke's
     * and java.lang's types, which every class may use.
     */
    private static boolean signaturePolymorphic(String owner) {
        return owner.equals("java/lang/invoke/MethodHandle") || owner.equals("java/lang/invoke/VarHandle");
    }

    /** Adds the class a class constant names ({@code a/B}, or an array's element: {@code [[La/B;}) to {@code names}. */
    private static void addClass(String name, Set<String> names) {
        if (name.startsWith("[")) {
            addTypes(name, names);
        } else {
            names.add(name);
        }
    }

    /** Adds the class types of a descriptor ({@code (Ljava/lang/String;[La/B;)V}, {@code [La/B;}) to {@code names}. */
    private static void addTypes(String descriptor, Set<String> names) {
        ClassFileCheck.typesOf(descriptor, names);
    }

    /**
     * The refusal of {@code checked}'s use of class {@code internalName} where the JVM refuses it at every
     * use (JVMS 5.4.4: a class is accessible from another runtime package only when it is public and its
     * module exports its package to the user's), else null. A JDK package is told from the module layer
     * alone, the class neither loaded nor initialized: loading a JDK class the JVM has not loaded yet
     * defines it in the boot or platform loader for good (linking it may load more, initializing it runs
     * its static initializer), a change to the application the refused patch would leave behind, and the
     * module's exports answer for all of its package's classes, loaded or not. Whether a class is public
     * is asked of the class, so only of one that loading changes nothing for ({@link #harmless}).
     */
    private PatchException closedClass(String internalName, Class<?> checked) {
        if (jar.classes().containsKey(internalName)) {
            String name = internalName.replace('/', '.');
            if (PatchJar.packageOf(name).equals(checked.getPackageName())) {
                return null;
            }
            if (publicOrUnread(jar.classes().get(internalName))) {
                return null; // or not read by ASM, but linked already: the JVM's verdict, should it fail here
            }
            return refuseAcrossPackages(checked, "class " + Text.clean(name), name, "not public",
                    "Make " + Text.clean(name) + " public");
        }
        if (internalName.startsWith("io/jlivepatch/") || !inOwnLoader(checked)) {
            return null;
        }
        String name = internalName.replace('/', '.');
        String pkg = PatchJar.packageOf(name);
        Module jdk = jdkModule(pkg);
        if (jdk != null && !jdk.isExported(pkg, checked.getModule())) {
            String module = Text.clean(jdk.getName());
            return refuseJdkClass(checked, name, "module " + module + " does not export " + Text.clean(pkg) + " to"
                    + " the unnamed module of the patch's own class loader", "Use only the JDK's public API of"
                    + " exported packages, or start the application with --add-exports " + module + "/"
                    + Text.clean(pkg) + "=ALL-UNNAMED");
        }
        if (!harmless(internalName)) {
            // Not loaded yet: not loaded here to tell (see the class comment), but an application's class is
            // read as the target's loader would load it (the JDK's only as its module tells, above). Its class
            // file's own access flags are what the JVM checks (a protected nested class is public there, a
            // private one package-private).
            if (jdk != null) {
                return null;
            }
            byte[] file = classFileOnce(targetLoader, internalName);
            if (file == null) {
                return null; // no file found: the JVM's verdict at the first use
            }
            if (!publicOrUnread(file)) {
                return refuseClass(checked, name, pkg);
            }
            Module module = applicationModule(pkg, internalName, file);
            if (module != null && !module.isExported(pkg, checked.getModule())) {
                return refuseUnexported(checked, name, module, pkg);
            }
            return null; // or not read by ASM: the JVM's verdict at the first use
        }
        Class<?> c;
        try {
            c = Class.forName(name, false, checked.getClassLoader());
        } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
            return null; // the other checks' to say, or the JVM's verdict at the first use
        }
        // A nested class's modifiers are its InnerClasses flags: a protected one is public in its own file.
        boolean open = Modifier.isPublic(c.getModifiers()) || Modifier.isProtected(c.getModifiers());
        ClassLoader l = c.getClassLoader();
        if (l == null || l == ClassLoader.getPlatformClassLoader()) {
            return open ? null : refuseJdkClass(checked, name, "it is not public", "Use only the JDK's public API"
                    + " of exported packages");
        }
        if (l instanceof PatchClassLoader || l instanceof RenamedClasses) {
            return null;
        }
        if (!open) {
            return refuseClass(checked, name, c.getPackageName());
        }
        // A public class of a named module (the module path, a plugin's layer) whose package that module
        // does not export to every unnamed module: before, such a patch loaded as PATCHED and every call threw.
        Module module = c.getModule();
        if (module.isNamed() && !module.isExported(c.getPackageName(), checked.getModule())) {
            return refuseUnexported(checked, name, module, c.getPackageName());
        }
        return null;
    }

    /**
     * The named module of the application, in {@link #layers}, that holds package {@code pkg} for the target's
     * loader (defined by it or by one of the loaders it delegates to, the JDK's excepted), or null: the class
     * path's, or a layer the check does not know (the JVM's verdict at the first use). {@code file}, the class
     * file of {@code internalName} that the target's loader serves, must be the module's own: a loader that
     * serves a file of its own there (a child-first one, with a JAR of that package) defines the class itself,
     * in its unnamed module, whatever its parent's module holds, and the patch may use it.
     */
    private Module applicationModule(String pkg, String internalName, byte[] file) {
        loaded(); // the layers of the target's loader's classes (see layers)
        for (ModuleLayer top : List.copyOf(layers)) {
            java.util.Deque<ModuleLayer> todo = new java.util.ArrayDeque<>(List.of(top));
            while (!todo.isEmpty()) {
                ModuleLayer layer = todo.pop();
                for (Module m : layer.modules()) {
                    if (m.getPackages().contains(pkg) && delegatesTo(m)) {
                        return java.util.Arrays.equals(file, classFileOnce(m.getClassLoader(), internalName)) ? m
                                : null;
                    }
                }
                todo.addAll(layer.parents());
            }
        }
        return null;
    }

    /** Whether {@code m}'s loader is the target's or one it delegates to, not the JDK's. */
    private boolean delegatesTo(Module m) {
        ClassLoader defining;
        try {
            defining = m.getClassLoader();
        } catch (SecurityException e) {
            return false; // not to be told here: the JVM's verdict at the first use
        }
        if (defining == null || defining == ClassLoader.getPlatformClassLoader()) {
            return false;
        }
        for (ClassLoader l = targetLoader; l != null; l = l.getParent()) {
            if (l == defining) {
                return true;
            }
        }
        return false;
    }

    /**
     * The refusal of {@code checked}'s use of the application's public class {@code name} of package
     * {@code pkg}, which {@code module} does not export to the patch's own loader's unnamed module.
     */
    private PatchException refuseUnexported(Class<?> checked, String name, Module module, String pkg) {
        String used = Text.clean(name);
        String mod = Text.clean(module.getName());
        String p = Text.clean(pkg);
        return new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": class "
                + Text.clean(checked.getName()) + " uses class " + used + ", which it cannot access: module " + mod
                + " does not export " + p + " to the unnamed module of the patch's own class loader (every use"
                + " reaching it would throw IllegalAccessError). Move the code that uses it to a class in package "
                + p + " made a nestmate of a class of that package (" + PatchJar.NESTMATES + ": <that class>="
                + used + "), as jlivepatch build does" + (module.getLayer() == ModuleLayer.boot()
                ? ", or start the application with --add-exports " + mod + "/" + p + "=ALL-UNNAMED"
                : " (module " + mod + " is in a module layer the application defines, which --add-exports does not"
                + " reach)"));
    }

    /**
     * Whether {@code classFile}'s class is public, as its own access flags say (a protected nested class
     * is public there, a private one package-private), or ASM cannot read it: either way not refused here.
     */
    private static boolean publicOrUnread(byte[] classFile) {
        try {
            return (new ClassReader(classFile).getAccess() & Opcodes.ACC_PUBLIC) != 0;
        } catch (RuntimeException e) {
            return true;
        }
    }

    /** The refusal of {@code checked}'s use of the application's class {@code name} of package {@code pkg}, not public. */
    private PatchException refuseClass(Class<?> checked, String name, String pkg) {
        String used = Text.clean(name);
        return new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": class "
                + Text.clean(checked.getName()) + " uses class " + used + ", which is not public: a class in the"
                + " patch's own class loader is in another runtime package and cannot access it (every use reaching"
                + " it would throw IllegalAccessError). Move the code that uses it to a class in package "
                + Text.clean(pkg) + " made a nestmate of a class of that package (" + PatchJar.NESTMATES
                + ": <that class>=" + used + "), as jlivepatch build does");
    }

    /** The refusal of {@code checked}'s use of the JDK's class {@code name}: {@code why}, escaped already. */
    private PatchException refuseJdkClass(Class<?> checked, String name, String why, String what) {
        return new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": class "
                + Text.clean(checked.getName()) + " uses class " + Text.clean(name) + ", which it cannot access: "
                + why + " (every use reaching it would throw IllegalAccessError). " + what);
    }

    /**
     * The boot layer's module of the JDK (its boot or platform loader's) that holds package {@code pkg},
     * or null: a package of the application's, or of a module that cannot be told.
     */
    private static Module jdkModule(String pkg) {
        for (Module m : ModuleLayer.boot().modules()) {
            if (m.getPackages().contains(pkg)) {
                try {
                    ClassLoader l = m.getClassLoader();
                    return l == null || l == ClassLoader.getPlatformClassLoader() ? m : null;
                } catch (SecurityException e) {
                    return null; // not to be told here: the JVM's verdict at the first use
                }
            }
        }
        return null;
    }

    /**
     * Whether {@code checked} may use a protected member that {@code declaring} declares, named in a
     * reference to class {@code resolved} (JVMS 5.4.4, as HotSpot checks it): only from a subclass of
     * the declaring class, and for an instance member only through a class T that is a subclass of
     * {@code checked}, a superclass of it or itself; the application's and the JDK's classes are never
     * its subclasses. The patch's own loader is never the declaring class's runtime package, which
     * opens protected members too. The rule on the receiver's type (JVMS 4.10.1.8: an instance of
     * {@code checked}'s class) is the verifier's, which linking ran already.
     */
    private static boolean protectedOpen(Class<?> checked, String declaring, String resolved, boolean isStatic) {
        if (checked.isInterface() || !subclassOf(checked, declaring)) {
            return false;
        }
        return isStatic || resolved.equals(declaring) || subclassOf(checked, resolved);
    }

    /**
     * Why {@code checked} may not use a protected member of {@code declaring} named in {@code resolved}, or
     * null; escaped.
     */
    private static String protectedClosed(Class<?> checked, String declaring, String resolved, boolean isStatic) {
        if (protectedOpen(checked, declaring, resolved, isStatic)) {
            return null;
        }
        String user = Text.clean(checked.getName());
        return subclassOf(checked, declaring) && !checked.isInterface() ? "it is protected, and " + user
                + " uses it through " + Text.clean(resolved) + ", which is neither " + Text.clean(declaring)
                + " nor a superclass of " + Text.clean(checked.getSimpleName()) : "it is protected, and " + user
                + " is not a subclass of " + Text.clean(declaring);
    }

    /** Whether {@code c} is the class named {@code binaryName} or extends it. */
    private static boolean subclassOf(Class<?> c, String binaryName) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            if (k.getName().equals(binaryName)) {
                return true;
            }
        }
        return false;
    }

    /** The class file {@link #used} was read from, and what its instructions use. */
    private byte[] usedOf;
    private Set<String> usedKeys;

    /**
     * {@code owner.name descriptor} of every member an instruction, a constant handle or a bootstrap
     * argument of {@code classFile} uses, and the internal name of every class whose access the JVM
     * checks there ({@link #check}'s classes): read once a member is found missing or a class closed, and
     * once per class (a pool of many missing constants no instruction uses cost a parse each, second
     * review).
     */
    private Set<String> used(byte[] classFile) {
        if (usedOf != classFile) {
            usedKeys = Uses.in(classFile);
            usedOf = classFile;
        }
        return usedKeys;
    }

    /**
     * Collects {@link #used}: loaded only when a member is found missing or a class closed (FootprintIT),
     * so nothing outside it may hold or pass one as a ClassVisitor (the verifier of that code would load
     * it).
     */
    private static final class Uses extends ClassVisitor {
        private final Set<String> keys = new HashSet<>();

        private Uses() {
            super(Opcodes.ASM9);
        }

        static Set<String> in(byte[] classFile) {
            Uses uses = new Uses();
            new ClassReader(classFile).accept(uses, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
            return uses.keys;
        }

        /** A handle's member, its class and types; a class constant; a method type's types. */
        private void handle(Object constant) {
            if (constant instanceof Handle h) {
                keys.add(h.getOwner() + "." + h.getName() + " " + h.getDesc());
                addClass(h.getOwner(), keys);
                addTypes(h.getDesc(), keys);
            } else if (constant instanceof Type t) {
                if (t.getSort() == Type.METHOD) {
                    addTypes(t.getDescriptor(), keys);
                } else if (t.getSort() == Type.OBJECT || t.getSort() == Type.ARRAY) {
                    addClass(t.getInternalName(), keys);
                }
            }
        }

        @Override
        public MethodVisitor visitMethod(int access, String n, String d, String signature, String[] exceptions) {
            return new MethodVisitor(Opcodes.ASM9) {
                @Override
                public void visitMethodInsn(int opcode, String o, String mn, String md, boolean isInterface) {
                    keys.add(o + "." + mn + " " + md);
                    addClass(o, keys);
                    if (signaturePolymorphic(o)) {
                        addTypes(md, keys); // see signaturePolymorphic
                    }
                }

                @Override
                public void visitFieldInsn(int opcode, String o, String fn, String fd) {
                    keys.add(o + "." + fn + " " + fd);
                    addClass(o, keys);
                }

                @Override
                public void visitTypeInsn(int opcode, String type) {
                    addClass(type, keys);
                }

                @Override
                public void visitMultiANewArrayInsn(String descriptor, int dimensions) {
                    addClass(descriptor, keys);
                }

                @Override
                public void visitTryCatchBlock(org.objectweb.asm.Label s, org.objectweb.asm.Label e,
                                               org.objectweb.asm.Label h, String type) {
                    if (type != null) {
                        addClass(type, keys);
                    }
                }

                @Override
                public void visitLdcInsn(Object value) {
                    handle(value);
                }

                @Override
                public void visitInvokeDynamicInsn(String in, String id, Handle bootstrap, Object... arguments) {
                    addTypes(id, keys);
                    handle(bootstrap);
                    for (Object a : arguments) {
                        handle(a);
                    }
                }
            };
        }
    }

    /**
     * Whether the application's class {@code owner} (defined by {@code ownerLoader}) or one of its
     * supertypes declares the member, read from their class files through that loader, in the order the
     * JVM's resolution looks (JVMS 5.4.3.2-4: a field in the class, then in its superinterfaces, then in
     * its superclass; a method in the class and its superclasses, then in their superinterfaces, where a
     * private or static one is not found; an interface's method in it, then among Object's public instance
     * methods, then in its superinterfaces; a constructor in the class itself only): where two supertypes
     * declare it, the JVM's is the one checked. A java.* supertype is asked by lookup where the member's
     * types are loaded ({@code resolveTypes}); else (a class not loaded yet, or a member whose types may not
     * be, and every class where {@code ownerLoader} is the platform loader: the owner is the JDK's,
     * {@link #checkJdkTypeNotLoaded}) it is read from its file, as the JDK's loaders serve it, too:
     * reflection on it would load every class its members name, loaded or not.
     * Returns the member's access flags where it is declared (for one a java.* supertype has by lookup:
     * protected and static as declared, else public), -1 when none declares it; null when a class file
     * cannot be read: then it cannot be told. Sets {@code in[0]} to the internal name of the class that
     * declares it, when it tells its flags; with {@code in} null, a java.* supertype's member found by
     * lookup is public.
     */
    private Integer declared(ClassLoader ownerLoader, String owner, String name, String descriptor,
                             boolean field, ClassLoader typesLoader, String[] in, boolean resolveTypes) {
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(); // the next looked in first
        java.util.ArrayDeque<String> interfaces = new java.util.ArrayDeque<>(); // a method's, once no class has it
        Set<String> seen = new HashSet<>();
        // An interface's method is looked for in Object among its public instance methods only (JVMS
        // 5.4.3.4, HotSpot's lookup too): Duplicable.clone() is a public clone() of a superinterface, never
        // Object's protected one, which a class of the patch's own loader could not call.
        boolean objectPublicOnly = false;
        todo.push(owner);
        while (!todo.isEmpty() || !interfaces.isEmpty()) {
            boolean superinterface = todo.isEmpty();
            String c = superinterface ? interfaces.poll() : todo.pop();
            if (!seen.add(c)) {
                continue;
            }
            if (objectPublicOnly && !field && c.equals("java/lang/Object")) {
                int modifiers = jdkDeclared(Object.class, name, descriptor, false, new Class<?>[1]);
                if (modifiers < 0 || !Modifier.isPublic(modifiers) || Modifier.isStatic(modifiers)) {
                    continue; // not found there: the superinterfaces next
                }
            }
            boolean jdkFile = c.startsWith("java/")
                    && (!resolveTypes || ownerLoader == ClassLoader.getPlatformClassLoader());
            if (c.startsWith("java/") && !jdkFile) {
                try {
                    Class<?> jdk = Class.forName(c.replace('/', '.'), false, ownerLoader);
                    if (has(jdk, name, descriptor, field, typesLoader)) {
                        // A protected one is told (a subclass's own use only), when asked; the rest is the JVM's
                        // verdict. Asked for the patch's own loader only: reflection resolves all the class's types.
                        Class<?>[] at = new Class<?>[1];
                        int modifiers = in == null ? -1 : jdkDeclared(jdk, name, descriptor, field, at);
                        if (modifiers >= 0 && Modifier.isProtected(modifiers)) {
                            in[0] = at[0].getName().replace('.', '/');
                            return modifiers & (Opcodes.ACC_PROTECTED | Opcodes.ACC_STATIC);
                        }
                        return Opcodes.ACC_PUBLIC;
                    }
                } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
                    return null;
                }
                continue;
            }
            // Only the JDK defines java.*: its file as the JDK's loaders serve it, whichever loader asks.
            byte[] b = classFileOnce(jdkFile ? ClassLoader.getPlatformClassLoader() : ownerLoader, c);
            if (b == null) {
                return null;
            }
            try {
                ClassReader r = new ClassReader(b);
                if (c.equals(owner)) {
                    objectPublicOnly = (r.getAccess() & Opcodes.ACC_INTERFACE) != 0;
                }
                int access = declares(r, name, descriptor, field);
                if (access >= 0 && !(superinterface && (access & (Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC)) != 0)) {
                    if (in != null) {
                        in[0] = c;
                    }
                    return access;
                }
                if (!name.equals("<init>")) {
                    if (r.getSuperName() != null) {
                        todo.push(r.getSuperName());
                    }
                    String[] its = r.getInterfaces();
                    for (int i = its.length - 1; i >= 0 && field; i--) {
                        todo.push(its[i]); // on top of the superclass, the first first: each with its own
                    }
                    if (!field) {
                        interfaces.addAll(java.util.Arrays.asList(its));
                    }
                }
            } catch (RuntimeException e) {
                return null; // not a class file ASM reads
            }
        }
        return -1;
    }

    /**
     * The application's class files read, by loader and internal name (null: none to read), each read
     * once per patch: a patch that names many members of a class not loaded yet reads its file and its
     * supertypes' once. No lambda: the check of a JAR that needs none loads no class for one (FootprintIT).
     */
    private final Map<ClassLoader, Map<String, byte[]>> files = new java.util.IdentityHashMap<>();

    /** {@link #classFile}, read once per loader and name. */
    private byte[] classFileOnce(ClassLoader l, String internalName) {
        if (l instanceof PatchClassLoader) {
            // the check's loader of the JAR's classes: its own class files are the JAR's, the rest the target's
            byte[] own = jar.classes().get(internalName);
            if (own != null) {
                return own;
            }
            l = targetLoader;
        }
        Map<String, byte[]> of = files.get(l);
        if (of == null) {
            of = new java.util.HashMap<>();
            files.put(l, of);
        }
        if (!of.containsKey(internalName)) {
            of.put(internalName, classFile(l, internalName));
        }
        return of.get(internalName);
    }

    /**
     * The access flags of the class file's field or method of that name and descriptor, -1 when it
     * declares none (read without a visitor).
     */
    private static int declares(ClassReader r, String name, String descriptor, boolean field) {
        char[] buf = new char[r.getMaxStringLength()];
        int at = r.header + 6; // access_flags, this_class, super_class
        at += 2 + 2 * r.readUnsignedShort(at); // interfaces
        for (int kind = 0; kind < 2; kind++) { // the fields, then the methods
            int count = r.readUnsignedShort(at);
            at += 2;
            for (int i = 0; i < count; i++) {
                if ((kind == 0) == field && name.equals(r.readUTF8(at + 2, buf))
                        && descriptor.equals(r.readUTF8(at + 4, buf))) {
                    return r.readUnsignedShort(at);
                }
                int attributes = r.readUnsignedShort(at + 6);
                at += 8;
                for (int a = 0; a < attributes; a++) {
                    at += 6 + r.readInt(at + 2);
                }
            }
        }
        return -1;
    }

    /**
     * The class {@code internalName} names, loaded through {@code checked}'s loader when loading it changes
     * nothing (a class of the JAR, the JDK or jlivepatch, or one the target's loader has already),
     * and the same holds for every type of {@code descriptor}; else null: not checked.
     */
    private Class<?> loadIfHarmless(String internalName, String key, String descriptor, boolean field,
                                    Class<?> checked, byte[] bytes) throws PatchException {
        ClassLoader loader = checked.getClassLoader();
        if (!harmless(internalName)) {
            return null;
        }
        Type[] types = field ? new Type[] {Type.getType(descriptor)} : Type.getArgumentTypes(descriptor);
        for (Type t : types) {
            if (!harmless(t)) {
                return null;
            }
        }
        if (!field && !harmless(Type.getReturnType(descriptor))) {
            return null;
        }
        String name = internalName.replace('/', '.');
        try {
            return Class.forName(name, false, loader);
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            if (name.startsWith("java.") && !running.contains(internalName) && used(bytes).contains(key)) {
                // Only the JDK defines java.* classes: this one is not in this runtime, or not where
                // the target's loader can see it (a module left out of the image or the boot layer).
                throw new PatchException(Reason.SIGNATURE_MISMATCH, jar.name(), PatchJar.about(jar.source())
                        + ": class " + Text.clean(checked.getName()) + " uses " + Text.clean(name) + NOT_IN_THIS_JAVA
                        + ": every call reaching"
                        + " it would throw NoClassDefFoundError. " + COMPILE_FOR_THIS_JAVA);
            }
            if (loader instanceof RenamedClasses && used(bytes).contains(key)) {
                // A class the JDK's loader defines (a JDK host's nestmate, or carried with one) sees only
                // what that loader sees: not the application's classes, nor the JAR's other classes.
                throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": class "
                        + Text.clean(checked.getName()) + ", which the JDK's class loader of its host defines, uses "
                        + Text.clean(name)
                        + ", which that loader cannot see: every call reaching it would throw NoClassDefFoundError;"
                        + " a nestmate of a JDK class may use only the JDK's classes, jlivepatch's and the classes it"
                        + " carries with it");
            }
            return null; // not loaded after all (a loader that lies about its classes): left to the JVM
        } catch (LinkageError | RuntimeException e) {
            return null; // the JVM's verdict at the first call, not this check's
        }
    }

    private boolean harmless(Type t) {
        while (t.getSort() == Type.ARRAY) {
            t = t.getElementType();
        }
        return t.getSort() != Type.OBJECT || harmless(t.getInternalName());
    }

    private boolean harmless(String internalName) {
        if (jar.classes().containsKey(internalName) || internalName.startsWith("java/")
                || internalName.startsWith("io/jlivepatch/")) {
            return true;
        }
        return loaded().contains(internalName.replace('/', '.'));
    }

    /** {@link #loaded}, read on the first call, with the layers of its classes' modules added to {@link #layers}. */
    private Set<String> loaded() {
        Set<String> l = loaded;
        if (l == null) {
            l = new HashSet<>();
            for (Class<?> c : inst.getInitiatedClasses(targetLoader)) {
                l.add(c.getName());
                ModuleLayer layer = c.getModule().getLayer();
                if (layer != null) {
                    layers.add(layer);
                }
            }
            if (targetLoader != ClassLoader.getSystemClassLoader()) {
                // A webapp's or plugin's loader: the JDK's classes it asked for are its parents'.
                for (Class<?> c : inst.getInitiatedClasses(ClassLoader.getPlatformClassLoader())) {
                    l.add(c.getName());
                }
            }
            loaded = l;
        }
        return l;
    }

    /** Whether a lookup resolves the field or method on {@code owner}, its types through {@code loader}. */
    private static boolean has(Class<?> owner, String name, String descriptor, boolean field, ClassLoader loader) {
        return field ? hasField(owner, name, descriptor, loader) : hasMethod(owner, name, descriptor, loader);
    }

    private static boolean hasMethod(Class<?> owner, String name, String descriptor, ClassLoader loader) {
        try {
            MethodType type = MethodType.fromMethodDescriptorString(descriptor, loader);
            MethodHandles.Lookup lookup = lookupIn(owner);
            try {
                if (name.equals("<init>")) {
                    lookup.findConstructor(owner, type);
                } else {
                    lookup.findVirtual(owner, name, type);
                }
                return true;
            } catch (NoSuchMethodException e) {
                if (name.equals("<init>")) {
                    return false;
                }
            }
            lookup.findStatic(owner, name, type);
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            // Found but not accessible from here, or of the other kind (IllegalAccessException: the
            // lookup resolves the member before it checks access), or not decidable: not refused.
            return true;
        }
    }

    private static boolean hasField(Class<?> owner, String name, String descriptor, ClassLoader loader) {
        try {
            Class<?> type = MethodType.fromMethodDescriptorString("(" + descriptor + ")V", loader).parameterType(0);
            MethodHandles.Lookup lookup = lookupIn(owner);
            try {
                lookup.findGetter(owner, name, type);
                return true;
            } catch (NoSuchFieldException e) {
                // perhaps a static one
            }
            lookup.findStaticGetter(owner, name, type);
            return true;
        } catch (NoSuchFieldException e) {
            return false;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return true; // as in hasMethod
        }
    }

    /**
     * A lookup that resolves {@code owner}'s members whatever their access: a private lookup where
     * its package is open to jlivepatch (every class of the class path), else the public one,
     * which still resolves before it refuses access (so a missing member is told from a hidden one).
     */
    private static MethodHandles.Lookup lookupIn(Class<?> owner) {
        Module own = MemberReferences.class.getModule();
        if (owner.getModule().isOpen(owner.getPackageName(), own)) {
            try {
                return MethodHandles.privateLookupIn(owner, MethodHandles.lookup());
            } catch (IllegalAccessException | SecurityException e) {
                // a SecurityManager that denies it: the public lookup resolves all the same
            }
        }
        return MethodHandles.publicLookup();
    }

    private static String describe(String descriptor) {
        StringBuilder s = new StringBuilder("(");
        Type[] args = Type.getArgumentTypes(descriptor);
        for (int i = 0; i < args.length; i++) {
            s.append(i == 0 ? "" : ", ").append(args[i].getClassName());
        }
        return s.append(") returning ").append(Type.getReturnType(descriptor).getClassName()).toString();
    }

    /**
     * Whether {@code checked} is defined in the patch's own class loader for good: not a
     * {@code Livepatch-Nestmates} class nor a carried one, which run in their host's loader and package.
     */
    private boolean inOwnLoader(Class<?> checked) {
        return checked.getClassLoader() instanceof PatchClassLoader && !jar.nestmates().containsKey(checked.getName())
                && !jar.newClasses().contains(checked.getName());
    }

    /**
     * The refusal of {@code checked}'s use of a private or package-private member of the application's
     * class {@code declaring}, named in a reference to {@code owner} (that class, a subclass of it, or the
     * JAR's class extending it): the patch's own class loader is another runtime package and never a
     * nestmate, so the JVM refuses that access at every call, whatever the class's package name or
     * NestHost says. Only a class in {@code declaring}'s package and loader may use it: a nestmate of it.
     */
    private PatchException refuseAccess(Class<?> checked, String owner, boolean field, String name,
                                        String descriptor, int access, String declaring) {
        String member = member(owner.replace('.', '/'), name, descriptor, field);
        String user = Text.clean(checked.getName());
        String host = Text.clean(declaring);
        String kind = ((access & Opcodes.ACC_PRIVATE) != 0 ? "private" : "package-private")
                + (declaring.equals(owner) ? "" : " (declared in " + host + ")");
        String pkg = PatchJar.packageOf(declaring);
        if (declaring.startsWith("java.") || jdkModule(pkg) != null) {
            // Inherited from the JDK's class (javax.naming.InitialContext's, through an application class that
            // extends it): no class of the application's may use it, and a nestmate of the JDK's class would be
            // the JDK loader's, which cannot see the application's class it is used through.
            return new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": class "
                    + user + " uses " + member + ", which is " + kind + ", the JDK's: no class of the"
                    + " application's or of the patch's can access it (every call reaching it would throw"
                    + " IllegalAccessError). Use the JDK's public API, or public and protected members only");
        }
        return new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": class "
                + user + " uses " + member + ", which is " + kind + ": a class in the patch's own class"
                + " loader cannot access it (every call reaching it would throw IllegalAccessError). Move the code"
                + " that uses it to a class in package " + Text.clean(pkg) + " made a nestmate of "
                + host + " (" + PatchJar.NESTMATES + ": <that class>=" + host + "), as"
                + " jlivepatch build does, or use only public and protected members");
    }

    /**
     * Why the JVM refuses {@code checked} (an unnamed module's class) the JDK's member at every call:
     * its class is not public or its package not exported to it, or the member is private or
     * package-private where reflection finds it declared, or protected and {@code checked} no subclass
     * that may use it ({@link #protectedOpen}); null when it may be used.
     */
    private static String jdkClosed(Class<?> owner, Class<?> checked, String name, String descriptor, boolean field) {
        // A nested class's modifiers are its InnerClasses flags: a protected one is public in its own file.
        if (!Modifier.isPublic(owner.getModifiers()) && !Modifier.isProtected(owner.getModifiers())) {
            return "its class is not public";
        }
        if (!owner.getModule().isExported(owner.getPackageName(), checked.getModule())) {
            return Text.clean(owner.getModule().getName()) + " does not export " + Text.clean(owner.getPackageName())
                    + " to it";
        }
        Class<?>[] in = new Class<?>[1];
        int modifiers;
        try {
            modifiers = jdkDeclared(owner, name, descriptor, field, in);
        } catch (LinkageError | RuntimeException e) {
            return null; // cannot be told: the JVM's verdict at the call
        }
        if (modifiers < 0) {
            return null; // a constructor, or not found: the other checks' to say
        }
        return memberClosed(modifiers, checked, in[0].getName(), owner.getName());
    }

    /**
     * The modifiers of the field or method that the JDK's {@code owner} or its nearest supertype declaring
     * it has, found by reflection, and that class in {@code in[0]}; -1 when none declares it (a
     * constructor is not looked for).
     */
    private static int jdkDeclared(Class<?> owner, String name, String descriptor, boolean field, Class<?>[] in) {
        java.util.ArrayDeque<Class<?>> todo = new java.util.ArrayDeque<>(List.of(owner));
        Set<Class<?>> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            Class<?> c = todo.poll();
            if (!seen.add(c)) {
                continue;
            }
            int modifiers = -1;
            if (field) {
                for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                    if (f.getName().equals(name) && Type.getDescriptor(f.getType()).equals(descriptor)) {
                        modifiers = f.getModifiers();
                    }
                }
            } else {
                for (java.lang.reflect.Method m : c.getDeclaredMethods()) {
                    if (m.getName().equals(name) && Type.getMethodDescriptor(m).equals(descriptor)) {
                        modifiers = m.getModifiers();
                    }
                }
            }
            if (modifiers >= 0) {
                in[0] = c;
                return modifiers;
            }
            if (c.getSuperclass() != null) {
                todo.add(c.getSuperclass());
            }
            todo.addAll(List.of(c.getInterfaces()));
        }
        return -1;
    }

    /**
     * The refusal of {@code checked}'s use of a member of the JDK's class {@code owner} (binary name):
     * {@code why}, escaped already.
     */
    private PatchException refuseJdkAccess(Class<?> checked, String owner, boolean field, String name,
                                           String descriptor, String why) {
        String member = member(owner.replace('.', '/'), name, descriptor, field);
        return new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": class "
                + Text.clean(checked.getName()) + " uses " + member + ", which it cannot access: " + why + " (every"
                + " call reaching it would throw IllegalAccessError). " + (why.startsWith("it is protected")
                ? "Use it only from a subclass of " + Text.clean(owner) + ", through that subclass (super."
                + Text.clean(name) + ", this." + Text.clean(name) + "), or use the JDK's public API"
                : "Use only the JDK's public API of exported packages"));
    }

    /**
     * The refusal of {@code checked}'s use of a protected member of the application's {@code owner},
     * declared in {@code declaring}, which {@link #protectedOpen} refuses.
     */
    private PatchException refuseProtected(Class<?> checked, String owner, boolean field, String name,
                                           String descriptor, String declaring) {
        String member = member(owner.replace('.', '/'), name, descriptor, field);
        String why = protectedClosed(checked, declaring, owner, false);
        String pkg = PatchJar.packageOf(declaring);
        String host = Text.clean(declaring);
        String head = PatchJar.about(jar.source()) + ": class " + Text.clean(checked.getName()) + " uses " + member
                + ", which it cannot access: " + why;
        if (declaring.startsWith("java.") || jdkModule(pkg) != null) {
            // a nestmate of the application's class is not in the JDK's package either, and a nestmate of the
            // JDK's class (javax.naming.InitialContext's too) cannot see the application's class it is used through
            return new PatchException(Reason.INVALID_PATCH, jar.name(), head + " (every call reaching it would throw"
                    + " IllegalAccessError). Use it only from a subclass of " + host + ", through that subclass"
                    + " (super." + Text.clean(name) + ", this." + Text.clean(name) + "), or use the JDK's public API");
        }
        return new PatchException(Reason.INVALID_PATCH, jar.name(), head + ", and a class in the patch's own class"
                + " loader is never in its runtime package (every call reaching it would throw IllegalAccessError)."
                + " Move the code that uses it to a class in package " + Text.clean(pkg) + " made a nestmate of "
                + host + " (" + PatchJar.NESTMATES + ": <that class>=" + host + "), as jlivepatch build does, or use"
                + " it only from a subclass of " + host + ", through that subclass");
    }

    /**
     * The refusal of {@code checked}'s use of {@code member}, which {@code owner} (binary name), defined by
     * {@code l}, or not loaded yet by the target's loader {@code l} ({@code notLoaded}), lacks.
     */
    private PatchException refuse(Class<?> checked, String owner, ClassLoader l, boolean notLoaded, String member,
                                  String error) {
        boolean own = l instanceof PatchClassLoader;
        boolean jdk = l == null || l == ClassLoader.getPlatformClassLoader();
        int feature = Runtime.version().feature();
        String in = Text.clean(owner);
        String loaderName = Text.clean(io.jlivepatch.internal.patch.LoaderNames.of(l));
        String where = notLoaded ? "the application's " + in + " (loader " + loaderName + ", not loaded yet: read"
                + " from its class file)" : own ? "the patch JAR's own " + in : jdk ? "this JDK's " + in + " (Java "
                + feature + ")" : "the running " + in + " (loader " + loaderName + ")";
        String what = own ? "The JAR's classes do not fit each other: build the patch again, all of its classes from"
                + " one compilation" : jdk ? "The patch was compiled against a newer Java. " + COMPILE_FOR_THIS_JAVA
                : "The patch was built against another"
                + " version of that code than the one running: build it against the classes the application runs"
                + " ('jlivepatch build --old' with the running JAR; with --source, --classpath with the libraries it"
                + " runs with)";
        return new PatchException(Reason.SIGNATURE_MISMATCH, jar.name(), PatchJar.about(jar.source()) + ": class "
                + Text.clean(checked.getName()) + " uses " + member + ", which " + where + " does not have (symbol"
                + " not found):"
                + " every call reaching it would throw " + error + ". " + what);
    }
}
