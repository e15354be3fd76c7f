package io.jlivepatch.internal.jar;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;

/**
 * Defines a patch JAR's classes for one target class loader. Its own classes and resources come
 * first, so that an application class or file of the same name never shadows the patch's; jlivepatch's API comes from
 * jlivepatch's own loader; everything else from the target's loader, so that the patch sees the
 * application's types exactly as the target does.
 */
final class PatchClassLoader extends ClassLoader {

    static {
        registerAsParallelCapable();
    }

    private final PatchJar jar;
    private final ClassLoader api = PatchClassLoader.class.getClassLoader();
    private final ProtectionDomain domain;

    PatchClassLoader(PatchJar jar, ClassLoader targetLoader) {
        super("jlivepatch:" + jar.name(), targetLoader);
        this.jar = jar;
        this.domain = new ProtectionDomain(new CodeSource(null, (Certificate[]) null), null, this, null);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                byte[] bytes = jar.classes().get(name.replace('.', '/'));
                if (bytes != null) {
                    c = defineClass(name, bytes, 0, bytes.length, domain);
                } else if (name.startsWith("io.jlivepatch.") && api != null) {
                    c = api.loadClass(name);
                } else {
                    c = super.loadClass(name, false);
                }
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    /**
     * Whether this loader defined a class of binary name {@code name} (not one it only asked its parent
     * for): lock-free, loads nothing, never throws (a malformed name is none). The transition worker's
     * test of a frame whose loader is named as this one is (PatchedMethods.inside): an application may
     * name a loader of its own so.
     */
    boolean defines(String name) {
        Class<?> c = findLoadedClass(name);
        return c != null && c.getClassLoader() == this;
    }

    /**
     * The JAR's own resource first, as its classes: a patch reads the signed bytes it shipped, never
     * an application's file of the same name (the default asks the parent first). A name the JAR
     * answers for is never asked of the parent: its manifest and signature files (which it does not
     * serve: see findResource) and its class files, which it serves from the bytes that were checked.
     */
    @Override
    public URL getResource(String name) {
        URL own = findResource(name);
        return own != null || answersFor(name) ? own : super.getResource(name);
    }

    @Override
    public java.util.Enumeration<URL> getResources(String name) throws IOException {
        URL own = findResource(name);
        if (answersFor(name)) {
            return own == null ? java.util.Collections.emptyEnumeration()
                    : java.util.Collections.enumeration(java.util.List.of(own));
        }
        java.util.Enumeration<URL> others = super.getResources(name); // the parent's (findResources has none)
        if (own == null) {
            return others;
        }
        java.util.List<URL> all = new java.util.ArrayList<>();
        all.add(own);
        all.addAll(java.util.Collections.list(others));
        return java.util.Collections.enumeration(all);
    }

    /**
     * Whether {@code name} is the JAR's to answer, present or not: its manifest and signature files
     * (the parent's would be the application's own, a review found), and its class files.
     */
    private boolean answersFor(String name) {
        return io.jlivepatch.internal.trust.TrustPolicy.isSignatureFile(name) || classFile(name) != null;
    }

    /** The JAR's class file of resource name {@code name} ({@code a/b/C.class}), or null. */
    private byte[] classFile(String name) {
        return name.endsWith(".class") ? jar.classes().get(name.substring(0, name.length() - ".class".length())) : null;
    }

    @Override
    protected URL findResource(String name) {
        if (bytesOf(name) == null) {
            return null;
        }
        try {
            return new URL(null, "jlivepatch:" + jar.name() + "/" + name, entries());
        } catch (java.net.MalformedURLException e) {
            return null;
        }
    }

    /**
     * The bytes the JAR serves as resource {@code name}, from what was checked, or null: never a signature
     * file, which no signature covers (one can be added to a signed JAR unnoticed).
     */
    private byte[] bytesOf(String name) {
        if (io.jlivepatch.internal.trust.TrustPolicy.isSignatureFile(name)) {
            return null;
        }
        byte[] found = jar.resources().get(name);
        return found != null ? found : classFile(name);
    }

    /**
     * Opens the JAR's entry a URL names, read from the bytes that were checked, never a file. By the
     * URL's own name, not the one it was made for: a URL resolved against one (new URL(url, "b.txt"),
     * an XML file's relative include) read the first entry's bytes whatever it named. Made when a
     * resource is asked for, not with the loader: a first load defines as few classes as it can.
     */
    private URLStreamHandler entries() {
        return new URLStreamHandler() {
            @Override
            protected URLConnection openConnection(URL u) throws IOException {
                String prefix = jar.name() + "/";
                String file = u.getFile() + (u.getRef() == null ? "" : "#" + u.getRef()); // as findResource named it
                byte[] bytes = file.startsWith(prefix) ? bytesOf(file.substring(prefix.length())) : null;
                if (bytes == null) {
                    throw new java.io.FileNotFoundException(u + ": patch '" + jar.name() + "' has no such entry");
                }
                return new URLConnection(u) {
                    @Override
                    public void connect() {
                    }

                    @Override
                    public InputStream getInputStream() {
                        return new ByteArrayInputStream(bytes);
                    }
                };
            }
        };
    }
}
