package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.Text;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks every class file of a patch JAR at load, before anything of the patch is defined for
 * good: each is parsed, then defined and linked (so verified by the JVM) without being initialized.
 * A class that would fail later, at the first call of a replacement that uses it, is refused here.
 *
 * <p>Linking happens in a class loader of its own, dropped afterwards: a carried class
 * ({@code Livepatch-New-Classes}) is defined in the application's loader for good, and a class
 * that failed to link there could never be replaced, so it must be known good before. Classes of
 * {@code java.*} packages (carriers for JDK targets) cannot be defined outside the boot loader,
 * and the JVM does not verify the boot loader's classes: a renamed copy of them is verified.
 *
 * <p>Both checks hold only for a JAR that never names a class the running application or the JDK
 * has (hostile-input finding F8): the copies are checked against the JAR's classes of their names,
 * while the classes defined for good resolve such a name to the existing class. A java.* carrier
 * checked against the JAR's own {@code java.util.RandomAccess} ran, unverified in the boot loader,
 * against the JDK's, and crashed the JVM. So {@link #checkOwnNames} comes first.
 */
final class ClassFileCheck {

    private ClassFileCheck() {
    }

    /** Parses every class file whole, code and annotations included; its name must match its entry. */
    static void parseAll(PatchJar jar) throws PatchException {
        for (String entry : sorted(jar)) {
            String file = entry + ".class";
            try {
                ClassReader reader = new ClassReader(jar.classes().get(entry));
                String declared = reader.getClassName();
                if (!entry.equals(declared)) {
                    throw refuse(jar, "entry " + PatchJar.quote(file) + " holds class " + PatchJar.quote(declared)
                            + ": a class file must sit at the path of its name");
                }
                reader.accept(new ReadEverything(), 0);
            } catch (RuntimeException | StackOverflowError e) {
                int major = majorVersion(jar.classes().get(entry));
                if (e instanceof IllegalArgumentException && major > Opcodes.V17 && String.valueOf(e.getMessage())
                        .startsWith("Unsupported class file major version")) {
                    // A well-formed file of a Java newer than ASM knows, not a malformed one: this check may
                    // run in the command's JVM, whose Java need not be the application's, so no number here.
                    throw refuse(jar, "class file " + PatchJar.quote(file) + " was compiled for a newer Java (class"
                            + " file version " + major + ", Java " + (major - 44) + ") than jlivepatch can read:"
                            + " compile the patch for the Java the application runs on (javac --release <its"
                            + " version>)");
                }
                throw refuse(jar, "class file " + PatchJar.quote(file) + " cannot be parsed: " + Failures.describe(e)
                        + "; build the patch again");
            }
        }
    }

    /**
     * Defines and links every class of the JAR against {@code targetLoader} without initializing
     * any: {@code Class.forName(name, false, ...)} loads only, and {@code getDeclaredFields} has
     * HotSpot link the class (verifying it) before it reflects, while no static initializer runs.
     * {@code replaced} and {@code loaded} tell what the running code names already ({@link MemberReferences}).
     */
    static void linkAll(PatchJar jar, ClassLoader targetLoader, Instrumentation inst, java.util.Set<String> replaced,
                        Map<String, List<Class<?>>> loaded) throws PatchException {
        checkOwnNames(jar, targetLoader);
        // the nestmates first: a JAR without any loads no class of the check (FootprintIT)
        if (!jar.nestmates().isEmpty() && !NestmateLambdas.TAKES_HIDDEN) {
            checkNestmateLambdas(jar);
        }
        // A JAR that carries classes defines them for good before its patch classes are looked up
        // (PatchClasses), whose methods' types resolve then: resolved here first, where a type the
        // target's loader lacks is refused before anything stays behind. A JAR that carries none
        // leaves nothing behind, and finds the same when its classes are looked up.
        boolean carries = !jar.newClasses().isEmpty() && !CarriedClasses.carriedBy(jar).isEmpty();
        PatchClassLoader scratch = new PatchClassLoader(jar, targetLoader);
        Map<String, ClassLoader> jdkHosted = jar.nestmates().isEmpty() ? Map.of() : jdkHosted(jar, targetLoader);
        // Defined by a JDK loader, where no check sees the JAR's classes: a renamed copy of each is verified
        // instead (RenamedClasses), resolving every other name as that loader will where it runs. In the
        // boot loader (a boot host's nestmates and the classes carried with them; the JVM does not verify
        // that loader's classes) every name but the copies' is the JDK's, and a JAR's own class of a JDK
        // name is never seen, as it never is at run time; in the platform loader (java.sql's, javax.sql's
        // hosts) likewise. java.* classes whose host is not found resolve from the target's loader, as
        // before; any other java.* class is refused below, as the JVM forbids it outside the JDK's loaders.
        Map<String, byte[]> boot = new TreeMap<>();
        Map<String, byte[]> platform = new TreeMap<>();
        Map<String, byte[]> otherJava = new TreeMap<>();
        List<Class<?>> linked = new ArrayList<>();
        for (String entry : sorted(jar)) {
            String name = entry.replace('/', '.');
            boolean outside = jar.nestmates().containsKey(name) || jar.newClasses().contains(name);
            if (outside && jdkHosted.containsKey(name)) {
                (jdkHosted.get(name) == null ? boot : platform).put(entry, jar.classes().get(entry));
            } else if (outside && name.startsWith("java.")) {
                otherJava.put(entry, jar.classes().get(entry));
            } else {
                linked.add(link(jar, name, carries, name, scratch));
            }
        }
        Map<Class<?>, RenamedClasses> copied = new java.util.LinkedHashMap<>();
        linkCopies(jar, boot, null, carries, copied);
        linkCopies(jar, platform, ClassLoader.getPlatformClassLoader(), carries, copied);
        linkCopies(jar, otherJava, targetLoader, carries, copied);
        // Every class linked first: a refusal for a class that cannot link says so, not what it names.
        MemberReferences references = new MemberReferences(jar, targetLoader, inst, replaced, loaded);
        for (Class<?> c : linked) {
            references.check(c, jar.classes().get(c.getName().replace('.', '/')));
        }
        for (Map.Entry<Class<?>, RenamedClasses> c : copied.entrySet()) {
            try {
                references.check(c.getKey(), c.getValue().bytesOf(c.getKey().getName()));
            } catch (PatchException e) {
                // said of the class the JAR has, not of its checked copy
                throw new PatchException(e.reason(), e.patchName(), RenamedClasses.unrenamed(e.getMessage()),
                        e.getCause());
            }
        }
    }

    /** Links a renamed copy of each of {@code classes} whose other names resolve from {@code parent}; adds each to {@code copied}. */
    private static void linkCopies(PatchJar jar, Map<String, byte[]> classes, ClassLoader parent, boolean carries,
                                   Map<Class<?>, RenamedClasses> copied) throws PatchException {
        if (classes.isEmpty()) {
            return;
        }
        RenamedClasses copies;
        try {
            copies = new RenamedClasses(classes, parent);
        } catch (IOException e) {
            throw refuse(jar, "the classes defined outside the patch's own class loader ("
                    + String.join(", ", classes.keySet()) + ") cannot be read for checking: " + Failures.describe(e)
                    + "; build the patch again");
        }
        for (String entry : classes.keySet()) {
            copied.put(link(jar, entry.replace('/', '.'), carries, RenamedClasses.binaryName(entry), copies), copies);
        }
    }

    /**
     * Refuses, before any class of the JAR is defined (checked or for good), what would make the
     * checks below check other classes than the ones that run. Classes the JAR's own loader defines
     * (a {@link PatchClassLoader}, whose own classes come first) run as checked; the others do not:
     * a {@code Livepatch-New-Classes} entry that would never be carried (a new class is carried only
     * into the package of a class {@code Livepatch-Nestmates} names, see PatchClasses) is checked as
     * the class of its name while the code runs against another, and so is a nestmate or new class
     * named like a class the target's loader or the JDK has. A new class that a patch carried before,
     * byte for byte the same, is the one exception: it is used again (see CarriedClasses).
     */
    static void checkOwnNames(PatchJar jar, ClassLoader targetLoader) throws PatchException {
        // CarriedClasses only for a JAR with new classes: each class counts in a JVM's first load (issue 10)
        List<String> carried = jar.newClasses().isEmpty() ? List.of() : CarriedClasses.carriedBy(jar);
        for (String nc : jar.newClasses()) {
            if (!carried.contains(nc)) {
                List<String> hosts = CarriedClasses.hostPackages(jar);
                throw refuse(jar, PatchJar.NEW_CLASSES + " names " + PatchJar.quote(nc) + ", which would never be"
                        + " carried into the application: a new class is carried only into the package of a class "
                        + PatchJar.NESTMATES + " names (" + (hosts.isEmpty() ? "none" : String.join(", ", hosts))
                        + "), and its package is none of them; build the patch with 'jlivepatch build', which carries new"
                        + " classes only into the packages it patches, or leave the class out of the JAR");
            }
        }
        for (String carrier : jar.nestmates().keySet()) {
            Class<?> existing = existing(jar, carrier, targetLoader);
            if (existing != null) {
                throw refuse(jar, "class " + PatchJar.quote(carrier) + ", which " + PatchJar.NESTMATES + " defines"
                        + " as a hidden nestmate, has the name of a class the running application or the JDK has"
                        + " (loader " + io.jlivepatch.internal.patch.LoaderNames.of(existing.getClassLoader())
                        + "), and a patch JAR never shadows one: give the patch class a name of its own");
            }
        }
        for (String nc : jar.newClasses()) {
            Class<?> existing = existing(jar, nc, targetLoader);
            if (existing == null) {
                continue;
            }
            String[] before = CarriedClasses.carried(existing.getClassLoader(), nc);
            byte[] bytes = jar.classes().get(nc.replace('.', '/'));
            if (before != null && before[0].equals(io.jlivepatch.internal.Sha256.hex(bytes))) {
                continue; // the very class file a patch carried there before: used again
            }
            throw refuse(jar, "class " + PatchJar.quote(nc) + ", which the patch carries as new ("
                    + PatchJar.NEW_CLASSES + "), " + (before != null ? CarriedClasses.carriedOtherwise(before[1])
                    : "already exists in the"
                    + " running application or the JDK (loader " + io.jlivepatch.internal.patch.LoaderNames.of(
                    existing.getClassLoader()) + "), and a patch JAR never shadows a class: the patch was built"
                    + " against another version, or the class needs a name of its own"));
        }
        checkOutsideReferences(jar, targetLoader, carried);
        // checkOwnUsesOfOutside, of the same family, needs no loader: ReplacesScanner.scanChecked runs it
    }

    /**
     * Refuses a class of the patch's own class loader that names a class the JAR defines outside that
     * loader (a hidden nestmate, a carried class). The own loader finds the name in the JAR, as it finds
     * all of the JAR's names, and defines a second, ordinary copy of that class for it: not the nestmate
     * in its host's nest, nor the class carried into the host's loader, but one in the patch's own
     * runtime package, with statics of its own. The checks took that class for the one defined outside
     * (its host's access), so it loaded, status said patched, and a nestmate's use of its host's private
     * field threw {@code IllegalAccessError} at every call (NestmateJarClassTest). It needs no loader, so
     * {@code inspect}, {@code install} and the command's check make it too (ReplacesScanner.scanChecked).
     */
    static void checkOwnUsesOfOutside(PatchJar jar, List<String> carried) throws PatchException {
        if (jar.nestmates().isEmpty()) {
            return; // nothing is defined outside the patch's loader: a new class is carried only with a nestmate
        }
        List<String> own = new ArrayList<>();
        for (String entry : jar.classes().keySet()) {
            String name = entry.replace('/', '.');
            if (!jar.nestmates().containsKey(name) && !carried.contains(name)) {
                own.add(name);
            }
        }
        own.sort(null); // one answer whatever the JAR's order
        for (String cls : own) {
            List<String> named = new ArrayList<>(namedClasses(jar.classes().get(cls.replace('.', '/'))));
            named.sort(null);
            for (String n : named) {
                String used = n.replace('/', '.');
                String host = jar.nestmates().get(used);
                if (host == null && !carried.contains(used)) {
                    continue;
                }
                String what = host != null ? "which " + PatchJar.NESTMATES + " defines as a hidden nestmate of " + host
                        + " (a hidden class, which no class finds by its name)"
                        : "which the patch carries into the application (" + PatchJar.NEW_CLASSES + ")";
                throw refuse(jar, "class " + PatchJar.quote(cls) + ", which the patch's own class loader defines, uses "
                        + PatchJar.quote(used) + ", " + what + ": that loader would define a second, ordinary copy of "
                        + PatchJar.quote(used) + " from the JAR for it, in another runtime package than "
                        + (host != null ? host : "the application's classes") + " and with statics of its own, where"
                        + " its use of private or package-private members throws IllegalAccessError at every call;"
                        + " move the code that uses it into " + (host != null ? "the nestmate (make it a "
                        + PatchJar.CLASS + " with its own replacements)" : "a " + PatchJar.NESTMATES + " class of its"
                        + " package"));
            }
        }
    }

    /**
     * Refuses a class the JAR defines outside its own class loader (a hidden nestmate, a carried class)
     * that names another class of the JAR it is not carried with. Defined in its host's loader, it finds
     * every name there, never in the JAR: such a name is then the application's or the JDK's class of
     * that name, not the JAR's one that a reviewer reads and the checks below link it against, or no
     * class at all (every call reaching it throws {@code NoClassDefFoundError}); another nestmate, hidden,
     * is found by no name. Before, both loaded and enabled (a review's finding: the JAR's
     * {@code jarapp.Untouched} was checked, the application's ran). Names are those the JVM resolves
     * through the class's loader: class constants, and the types of descriptors (members, constants,
     * the class's own fields and methods); not annotations or generic signatures.
     */
    private static void checkOutsideReferences(PatchJar jar, ClassLoader targetLoader, List<String> carried)
            throws PatchException {
        if (jar.nestmates().isEmpty()) {
            return; // nothing is defined outside the patch's loader: a new class is carried only with a nestmate
        }
        java.util.Set<String> seen = new java.util.HashSet<>(); // internal names the outside classes may name
        for (String c : carried) {
            seen.add(c.replace('.', '/'));
        }
        List<String> outside = new ArrayList<>(jar.nestmates().keySet());
        outside.sort(null); // one answer whatever the manifest's order
        outside.addAll(carried);
        for (String cls : outside) {
            String self = cls.replace('.', '/');
            List<String> named = new ArrayList<>(namedClasses(jar.classes().get(self)));
            named.sort(null);
            for (String n : named) {
                if (!n.equals(self) && jar.classes().containsKey(n) && !seen.contains(n)) {
                    throw refuse(jar, outsideUse(jar, cls, n.replace('/', '.'), targetLoader));
                }
            }
        }
    }

    /** What {@link #checkOutsideReferences} says of outside class {@code cls} naming the JAR's class {@code used}. */
    private static String outsideUse(PatchJar jar, String cls, String used, ClassLoader targetLoader) {
        String host = jar.nestmates().get(cls);
        String what = host != null ? "which " + PatchJar.NESTMATES + " defines as a hidden nestmate of " + host
                : "which the patch carries into the application (" + PatchJar.NEW_CLASSES + ")";
        if (host == null) {
            for (String h : jar.nestmates().values()) {
                host = host == null && String.valueOf(CarriedClasses.packageOf(h)).equals(CarriedClasses.packageOf(cls))
                        ? h : host;
            }
        }
        String head = "class " + PatchJar.quote(cls) + ", " + what + ", uses " + PatchJar.quote(used) + ", a class of the"
                + " JAR that is not carried there (" + PatchJar.NEW_CLASSES + "): ";
        if (jar.nestmates().containsKey(used)) {
            return head + "it is a hidden nestmate itself, which no class finds by its name, so every call reaching it"
                    + " would throw NoClassDefFoundError; move the code it uses into " + cls + " itself";
        }
        ClassLoader loader = targetLoader;
        try {
            loader = Class.forName(host, false, targetLoader).getClassLoader(); // loaded only: nothing of it runs
        } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
            // the host's look-up refuses it later; the name is told as the target's loader finds it
        }
        String where = "defined in the class loader of " + host + " (" + io.jlivepatch.internal.patch.LoaderNames.of(
                loader) + "), it finds names there, not in the JAR: ";
        String carry = "carry it (" + PatchJar.NEW_CLASSES + ", in the package of " + host + "), or move its code into "
                + cls;
        Class<?> found;
        try {
            found = Class.forName(used, false, loader); // loaded only, as the JVM's resolution would load it
        } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
            return head + where + "that loader has no class of that name, so every call reaching it would throw"
                    + " NoClassDefFoundError; " + carry;
        }
        ClassLoader l = found.getClassLoader();
        return head + where + "that loader gives " + (l == null || l == ClassLoader.getPlatformClassLoader()
                ? "the JDK's" : "the application's") + " own class of that name (loader "
                + io.jlivepatch.internal.patch.LoaderNames.of(l) + "), which would run instead of the JAR's one that a"
                + " review reads and the check would link against; give the JAR's class a name of its own and " + carry;
    }

    private static final int CLASS = 7;
    private static final int NAME_AND_TYPE = 12;
    private static final int METHOD_TYPE = 16;

    /**
     * The internal names of the classes a class file makes its loader find: its class constants (arrays'
     * elements), and the types of its name-and-type and method-type constants and of its own fields'
     * and methods' descriptors. Read without a visitor: a first load defines as few classes as it can.
     */
    static java.util.Set<String> namedClasses(byte[] classFile) {
        ClassReader r = new ClassReader(classFile);
        char[] buf = new char[r.getMaxStringLength()];
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 1; i < r.getItemCount(); i++) {
            int at = r.getItem(i);
            if (at == 0) {
                continue; // the second slot of a long or double constant
            }
            int tag = r.readByte(at - 1);
            if (tag == CLASS) {
                String name = r.readUTF8(at, buf);
                if (name.startsWith("[")) {
                    typesOf(name, names);
                } else {
                    names.add(name);
                }
            } else if (tag == NAME_AND_TYPE) {
                typesOf(r.readUTF8(at + 2, buf), names);
            } else if (tag == METHOD_TYPE) {
                typesOf(r.readUTF8(at, buf), names);
            }
        }
        int at = r.header + 6; // access_flags, this_class, super_class
        at += 2 + 2 * r.readUnsignedShort(at); // interfaces
        for (int kind = 0; kind < 2; kind++) { // the fields, then the methods
            int count = r.readUnsignedShort(at);
            at += 2;
            for (int i = 0; i < count; i++) {
                typesOf(r.readUTF8(at + 4, buf), names);
                int attributes = r.readUnsignedShort(at + 6);
                at += 8;
                for (int a = 0; a < attributes; a++) {
                    at += 6 + r.readInt(at + 2);
                }
            }
        }
        return names;
    }

    /** Adds the class types of a field or method descriptor ({@code (Ljava/lang/String;[La/B;)V}) to {@code names}. */
    static void typesOf(String descriptor, java.util.Set<String> names) {
        int i = 0;
        while (i < descriptor.length()) {
            int end = descriptor.charAt(i) == 'L' ? descriptor.indexOf(';', i) : -1;
            if (end < 0) {
                i++;
                continue;
            }
            names.add(descriptor.substring(i + 1, end));
            i = end + 1;
        }
    }

    /**
     * The nestmates, and the new classes carried with them, whose host class a JDK loader defines, with
     * that loader ({@code null}: the boot loader): they are defined there too. The JVM does not verify
     * the boot loader's classes, and neither loader resolves a name to the JAR's class of that name.
     * The check of {@code java.*} classes by their name alone let a carrier in {@code javax.crypto.spec},
     * checked against the JAR's own {@code GCMParameterSpec}, run unverified against the JDK's and crash
     * the JVM (a review's finding). A host that cannot be loaded is left to the look-up of the patch's
     * classes, which refuses it.
     */
    private static Map<String, ClassLoader> jdkHosted(PatchJar jar, ClassLoader targetLoader) {
        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        Map<String, ClassLoader> packages = new java.util.HashMap<>();
        Map<String, ClassLoader> hosted = new java.util.HashMap<>();
        for (Map.Entry<String, String> e : jar.nestmates().entrySet()) {
            Class<?> host;
            try {
                host = Class.forName(e.getValue(), false, targetLoader); // loaded only: nothing of it runs
            } catch (ClassNotFoundException | LinkageError | RuntimeException notThere) {
                continue;
            }
            ClassLoader l = host.getClassLoader();
            if (l == null || l == platform) {
                hosted.put(e.getKey(), l);
                packages.put(host.getPackageName(), l);
            }
        }
        for (String nc : jar.newClasses()) {
            String pkg = CarriedClasses.packageOf(nc);
            if (pkg != null && packages.containsKey(pkg)) {
                hosted.put(nc, packages.get(pkg)); // carried into that host's package, with its lookup
            }
        }
        return hosted;
    }

    /**
     * Refuses, on a JDK before 23, a nestmate class with a lambda of its own method: linked as a plain
     * class here it passes, and defined hidden it would throw at every call (NestmateLambdas).
     */
    private static void checkNestmateLambdas(PatchJar jar) throws PatchException {
        for (String carrier : jar.nestmates().keySet()) {
            String internal = carrier.replace('.', '/');
            byte[] bytes = jar.classes().get(internal);
            String method = bytes == null ? null : NestmateLambdas.firstWithOwnBody(bytes, internal);
            if (method != null) {
                throw refuse(jar, "class " + PatchJar.quote(carrier) + ", which " + PatchJar.NESTMATES + " defines as a"
                        + " hidden nestmate, makes a lambda or method reference of its own method in " + method + "(),"
                        + " which this JVM (Java " + Runtime.version().feature() + ") cannot make for a hidden class"
                        + " before Java 23 (JDK-8330467): every call would throw NoClassDefFoundError. Build the patch"
                        + " with 'jlivepatch build', whose lambdas work on every JDK, or give the lambda's body to a"
                        + " method of another class of the JAR");
            }
        }
    }

    /** The class of that name the target's loader or the JDK (the platform loader asks the boot loader) has, or null. */
    private static Class<?> existing(PatchJar jar, String name, ClassLoader targetLoader) throws PatchException {
        ClassLoader[] loaders = {targetLoader, ClassLoader.getPlatformClassLoader()};
        for (ClassLoader l : loaders) {
            try {
                return Class.forName(name, false, l); // loaded only: nothing of it runs
            } catch (ClassNotFoundException e) {
                // not there: ask the next
            } catch (LinkageError e) {
                // there, but it cannot be loaded: a class of that name exists all the same
                throw refuse(jar, "class " + PatchJar.quote(name) + ", which the patch defines outside its own class"
                        + " loader, has the name of a class of the running application, which cannot be loaded ("
                        + Failures.describe(e) + "), and a patch JAR never shadows one: give the patch's class a"
                        + " name of its own");
            }
        }
        return null;
    }

    /**
     * Loads {@code binaryName} from {@code loader} for checking (the class the JAR calls {@code name}).
     *
     * @param methods resolve the types of the class's methods too, as looking up a replacement does
     */
    private static Class<?> link(PatchJar jar, String name, boolean methods, String binaryName, ClassLoader loader)
            throws PatchException {
        try {
            Class<?> c = Class.forName(binaryName, false, loader);
            c.getDeclaredFields();
            if (methods) {
                c.getDeclaredMethods();
            }
            return c;
        } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
            // name: the JAR's, any characters the JVM takes in a class name (an escape, a BEL), escaped below
            String why = RenamedClasses.unrenamed(Failures.describe(e));
            String missing = e instanceof NoClassDefFoundError || e instanceof ClassNotFoundException
                    ? String.valueOf(e.getMessage()).replace('.', '/') : "";
            if (missing.startsWith("java/")) {
                // Only the JDK defines java.* classes: compiled for a newer Java (second review)
                throw refuse(jar, "class " + Text.clean(name) + " cannot be used: " + why + MemberReferences.NOT_IN_THIS_JAVA
                        + ". " + MemberReferences.COMPILE_FOR_THIS_JAVA);
            }
            if (e instanceof UnsupportedClassVersionError) {
                // The compiler's target decides the class file version: building again against the
                // application, the advice below, would give the same file.
                throw refuse(jar, "class " + Text.clean(name) + " cannot be used: " + why + (why.endsWith(".") ? " " : ". ")
                        + MemberReferences.COMPILE_FOR_THIS_JAVA
                        + (Failures.isPreview(e) ? ", without --enable-preview" : ""));
            }
            if (e instanceof VerifyError && why.contains("Bad access to protected data")) {
                // JVMS 4.10.1.8: building again against the application gives the same class
                throw refuse(jar, "class " + Text.clean(name) + " cannot be used: " + why + "; a class may use a protected member"
                        + " of a superclass of another runtime package (a class in the patch's own class loader is"
                        + " always in another) only on an instance of its own class: use it on this, or move the"
                        + " code to a " + PatchJar.NESTMATES + " class of the member's package, as jlivepatch build"
                        + " does");
            }
            throw refuse(jar, "class " + Text.clean(name) + " cannot be used: " + why + "; every class in the JAR must pass the"
                    + " JVM's verifier and use only classes of the JAR, the JDK or the target's class loader: build"
                    + " the patch again against the running application");
        }
    }

    /**
     * The class file's major version, or -1 when it does not start as a class file does (ASM reads no
     * magic number: garbage has a "version" too); one past any Java for centuries is not taken for one.
     */
    private static int majorVersion(byte[] classFile) {
        if (classFile.length < 8 || (classFile[0] & 0xff) != 0xca || (classFile[1] & 0xff) != 0xfe
                || (classFile[2] & 0xff) != 0xba || (classFile[3] & 0xff) != 0xbe || classFile[6] != 0) {
            return -1;
        }
        return classFile[7] & 0xff;
    }

    /** Visits nothing, but returns a visitor wherever ASM reads further only for one: code, annotations. */
    private static final class ReadEverything extends ClassVisitor {
        private static final AnnotationVisitor ANNOTATION = new AnnotationVisitor(Opcodes.ASM9) {
            @Override
            public AnnotationVisitor visitAnnotation(String name, String descriptor) {
                return this;
            }

            @Override
            public AnnotationVisitor visitArray(String name) {
                return this;
            }
        };

        ReadEverything() {
            super(Opcodes.ASM9);
        }

        @Override
        public AnnotationVisitor visitAnnotation(String descriptor, boolean visible) {
            return ANNOTATION;
        }

        @Override
        public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
            return new FieldVisitor(Opcodes.ASM9) {
                @Override
                public AnnotationVisitor visitAnnotation(String d, boolean visible) {
                    return ANNOTATION;
                }
            };
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                         String[] exceptions) {
            return new MethodVisitor(Opcodes.ASM9) {
                @Override
                public AnnotationVisitor visitAnnotation(String d, boolean visible) {
                    return ANNOTATION;
                }

                @Override
                public AnnotationVisitor visitParameterAnnotation(int parameter, String d, boolean visible) {
                    return ANNOTATION;
                }

                @Override
                public AnnotationVisitor visitAnnotationDefault() {
                    return ANNOTATION;
                }
            };
        }
    }

    private static List<String> sorted(PatchJar jar) {
        List<String> entries = new ArrayList<>(jar.classes().keySet());
        entries.sort(null);
        return entries;
    }

    private static PatchException refuse(PatchJar jar, String why) {
        return new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": " + why);
    }
}
