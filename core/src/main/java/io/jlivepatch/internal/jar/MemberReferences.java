package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Type;

import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.HashSet;
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
 * classes, of the JDK, of jlivepatch's API, and of classes the target's loader has loaded already.
 * A class the application has not loaded yet is not loaded here to check it (loading it would be a
 * change to the application the patch did not ask for, and its loader may not exist yet): a
 * reference to it is left to the JVM's own resolution at the first call. Nothing is initialized:
 * {@code Class.forName(.., false, ..)} loads, and a lookup resolves without running anything.
 */
final class MemberReferences {

    private static final int FIELD = 9;
    private static final int METHOD = 10;
    private static final int INTERFACE_METHOD = 11;

    private final PatchJar jar;
    private final ClassLoader targetLoader;
    private final Instrumentation inst;
    /** The classes the target's loader has loaded or asked for, by name; read once, when first needed. */
    private Set<String> loaded;

    MemberReferences(PatchJar jar, ClassLoader targetLoader, Instrumentation inst) {
        this.jar = jar;
        this.targetLoader = targetLoader;
        this.inst = inst;
    }

    /**
     * Refuses ({@code SIGNATURE_MISMATCH}) {@code checked}, a class of the JAR defined for checking
     * (its types resolved as the patch's will be), when a member it names is missing from the class
     * it names it in.
     */
    void check(Class<?> checked, byte[] bytes) throws PatchException {
        ClassReader reader = new ClassReader(bytes);
        char[] buf = new char[reader.getMaxStringLength()];
        ClassLoader loader = checked.getClassLoader();
        for (int i = 1; i < reader.getItemCount(); i++) {
            int at = reader.getItem(i);
            if (at == 0) {
                continue; // the second slot of a long or double constant
            }
            int tag = reader.readByte(at - 1);
            if (tag != FIELD && tag != METHOD && tag != INTERFACE_METHOD) {
                continue;
            }
            String owner = reader.readClass(at, buf);
            int nameAndType = reader.getItem(reader.readUnsignedShort(at + 2));
            String name = reader.readUTF8(nameAndType, buf);
            String descriptor = reader.readUTF8(nameAndType + 2, buf);
            if (owner.startsWith("[") || name.equals("<clinit>") || owner.equals("java/lang/invoke/MethodHandle")
                    || owner.equals("java/lang/invoke/VarHandle")) {
                continue; // an array's clone(), or a signature-polymorphic method: any descriptor resolves
            }
            Class<?> ownerClass = loadIfHarmless(owner, loader, checked, descriptor, tag == FIELD);
            if (ownerClass == null) {
                continue;
            }
            boolean found = tag == FIELD ? hasField(ownerClass, name, descriptor, loader)
                    : hasMethod(ownerClass, name, descriptor, loader);
            if (!found) {
                throw refuse(checked, ownerClass, (tag == FIELD ? "field " : "method ") + Type.getObjectType(owner)
                        .getClassName() + "." + name + (tag == FIELD ? " (" + Type.getType(descriptor).getClassName()
                        + ")" : describe(descriptor)), tag == FIELD ? "NoSuchFieldError" : "NoSuchMethodError");
            }
        }
    }

    /**
     * The class {@code internalName} names, loaded through {@code loader} when loading it changes
     * nothing (a class of the JAR, the JDK or jlivepatch, or one the target's loader has already),
     * and the same holds for every type of {@code descriptor}; else null: not checked.
     */
    private Class<?> loadIfHarmless(String internalName, ClassLoader loader, Class<?> checked, String descriptor,
                                    boolean field) throws PatchException {
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
            if (name.startsWith("java.")) {
                // Only the JDK defines java.* classes: this one is not in this JDK.
                throw new PatchException(Reason.SIGNATURE_MISMATCH, jar.name(), "patch JAR " + jar.source() + ": class "
                        + checked.getName() + " uses " + name + ", which this JDK (Java " + Runtime.version().feature()
                        + ") does not have: every call reaching it would throw NoClassDefFoundError. Compile the patch"
                        + " for the Java the application runs on (javac --release " + Runtime.version().feature() + ")");
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
        Set<String> l = loaded;
        if (l == null) {
            l = new HashSet<>();
            for (Class<?> c : inst.getInitiatedClasses(targetLoader)) {
                l.add(c.getName());
            }
            if (targetLoader != ClassLoader.getSystemClassLoader()) {
                // A webapp's or plugin's loader: the JDK's classes it asked for are its parents'.
                for (Class<?> c : inst.getInitiatedClasses(ClassLoader.getPlatformClassLoader())) {
                    l.add(c.getName());
                }
            }
            loaded = l;
        }
        return l.contains(internalName.replace('/', '.'));
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

    private PatchException refuse(Class<?> checked, Class<?> owner, String member, String error) {
        ClassLoader l = owner.getClassLoader();
        boolean own = l instanceof PatchClassLoader;
        String where = own ? "the patch JAR's own " + owner.getName()
                : "the running " + owner.getName() + " (loader " + io.jlivepatch.internal.patch.LoaderNames.of(l) + ")";
        String what = own ? "The JAR's classes do not fit each other: build the patch again, all of its classes from"
                + " one compilation" : "The patch was built against another version of that code than the one running:"
                + " build it against the classes the application runs ('jlivepatch build --old' with the running JAR,"
                + " and --classpath with the libraries it runs with)";
        return new PatchException(Reason.SIGNATURE_MISMATCH, jar.name(), "patch JAR " + jar.source() + ": class "
                + checked.getName() + " uses " + member + ", which " + where + " does not have (symbol not found):"
                + " every call reaching it would throw " + error + ". " + what);
    }
}
