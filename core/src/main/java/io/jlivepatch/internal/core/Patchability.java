package io.jlivepatch.internal.core;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.util.List;

/**
 * The kernel's {@code notrace}: classes whose methods must never be hooked, because the JVM cannot
 * modify them or because hooking them would recurse into the dispatch machinery itself. Public for
 * {@link #refusalByName}, which the command's check of a patch JAR asks too, before any JVM is involved.
 */
public final class Patchability {

    /** Packages the hook, the call sites and their bootstrap run through. */
    private static final List<String> REFUSED_PACKAGES = List.of(
            "java.lang.invoke.", "jdk.internal.", "sun.invoke.", "java.util.concurrent.", "io.jlivepatch.");

    /** Classes the same machinery (or every hook) runs through; nested classes included. */
    private static final List<String> REFUSED_CLASSES = List.of(
            "java.lang.Object", "java.lang.Class", "java.lang.Thread", "java.lang.String",
            "java.lang.ClassValue", "java.lang.StackWalker");

    private static final int MIN_MAJOR_VERSION = 51;

    /**
     * What to do instead, after a refusal of the JDK classes above: no replacement of them can ever load,
     * so the operator is sent to the code they can patch (a thread pool's idle workers sit in
     * ThreadPoolExecutor.getTask: the task code the pool runs is the application's). Not "or hold": a
     * held method gets no hook, and one of these classes is held by the worker's stack checks alone
     * (PatchRegistry.heldHooks), so a Livepatch-Hold of it is taken (RejectionTest).
     */
    private static final String INSTEAD = ": no patch can replace this method;"
            + " patch the application's (or a library's) code that calls it instead";

    /**
     * Name markers of classes that libraries generate at run time, and who generates them. Such a
     * class's name changes between restarts (a patch naming it matches nothing after the next one),
     * and its methods wrap or forward to the class it was made for, whose own method is the one to
     * patch: patching the generated one bypasses what the library does around it (an interceptor,
     * a transaction, lazy loading).
     */
    private static final List<String[]> GENERATED = List.of(
            new String[] {"$$SpringCGLIB$$", "Spring's CGLIB proxy"},
            new String[] {"$$EnhancerBySpringCGLIB$$", "Spring's CGLIB proxy"},
            new String[] {"$$FastClassBySpringCGLIB$$", "Spring's CGLIB fast class"},
            new String[] {"$$EnhancerByCGLIB$$", "a CGLIB proxy"},
            new String[] {"$ByteBuddy$", "a Byte Buddy subclass"},
            new String[] {"$HibernateProxy$", "Hibernate's lazy-loading proxy"},
            new String[] {"$MockitoMock$", "a Mockito mock"});

    private Patchability() {
    }

    /** Why no class of that name can be hooked, or {@code null}. */
    public static String refusalByName(String className) {
        if (className.startsWith("[")) {
            return "arrays have no methods of their own to hook";
        }
        if (className.contains("/")) {
            return "it is a hidden class (a lambda proxy or defineHiddenClass), which the JVM cannot retransform";
        }
        if (className.contains("$$Lambda")) {
            return "lambda proxies are hidden classes, which the JVM cannot retransform; patch the method that"
                    + " holds the lambda's body instead";
        }
        for (String[] g : GENERATED) {
            int at = className.indexOf(g[0]);
            if (at > 0) {
                return className + " is " + g[1] + ", generated at run time (its name changes between restarts, and"
                        + " its methods wrap or forward to those of the class it was made for): patch "
                        + className.substring(0, at) + " instead";
            }
        }
        String simple = className.substring(className.lastIndexOf('.') + 1);
        if (simple.startsWith("$Proxy") && digits(simple.substring("$Proxy".length()))) {
            return className + " is a JDK dynamic proxy, generated at run time: its methods forward to an"
                    + " InvocationHandler; patch the handler's invoke method or the class that implements the interface";
        }
        for (String p : REFUSED_PACKAGES) {
            if (className.startsWith(p)) {
                return p.equals("io.jlivepatch.") ? "jlivepatch does not patch itself"
                        : "classes of " + p.substring(0, p.length() - 1)
                        + " run the dispatch of every hook, so hooking them would recurse" + INSTEAD;
            }
        }
        for (String c : REFUSED_CLASSES) {
            if (className.equals(c) || className.startsWith(c + "$")) {
                return c + " runs the dispatch of every hook, so hooking it would recurse" + INSTEAD;
            }
        }
        return null;
    }

    /** Whether {@code s} is a number: the $Proxy classes' names end in one. */
    private static boolean digits(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return !s.isEmpty();
    }

    /** Why this loaded class cannot be hooked, or {@code null}. */
    static String refusal(Instrumentation inst, Class<?> c) {
        String byName = refusalByName(c.getName());
        if (byName != null) {
            return byName;
        }
        if (java.lang.reflect.Proxy.isProxyClass(c)) {
            return c.getName() + " is a JDK dynamic proxy, generated at run time: its methods forward to an"
                    + " InvocationHandler; patch the handler's invoke method or the class that implements the interface";
        }
        if (c.isHidden()) {
            return "it is a hidden class (a lambda proxy or defineHiddenClass), which the JVM cannot retransform";
        }
        if (c.isArray() || c.isPrimitive()) {
            return "arrays and primitive types have no bytecode of their own";
        }
        if (!inst.isModifiableClass(c)) {
            return "the JVM reports the class as not modifiable";
        }
        int major = majorVersion(c);
        if (major >= 0 && major < MIN_MAJOR_VERSION) {
            return "class file version " + major + " predates invokedynamic (Java 7, version 51);"
                    + " recompile the class for Java 7 or later to patch it";
        }
        return null;
    }

    /** The class file's major version as its loader serves it, or -1 when it cannot be read. */
    private static int majorVersion(Class<?> c) {
        String resource = "/" + c.getName().replace('.', '/') + ".class";
        try (InputStream in = c.getResourceAsStream(resource)) {
            if (in == null) {
                return -1;
            }
            byte[] head = in.readNBytes(8);
            return head.length < 8 ? -1 : ((head[6] & 0xFF) << 8) | (head[7] & 0xFF);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
