package io.jlivepatch;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * A class loader that defines the named classes itself, from the bytes it is given (by default the
 * test class path's class files), instead of delegating them: each instance holds its own copy of
 * the class, under the same name. Everything else is delegated to the test class loader.
 */
class IsolatingLoader extends ClassLoader { // not final: CallbacksTest.HooksLineHold

    private final Map<String, byte[]> own;
    private final boolean servesOwnClassFiles;

    IsolatingLoader(String name, Map<String, byte[]> classFiles) {
        this(name, classFiles, true);
    }

    /**
     * @param servesOwnClassFiles whether {@code getResourceAsStream} returns the bytes this loader defines
     *                            its classes from (as a real loader does), or, when false, delegates and so
     *                            returns the test class path's class file
     */
    IsolatingLoader(String name, Map<String, byte[]> classFiles, boolean servesOwnClassFiles) {
        super(name, IsolatingLoader.class.getClassLoader());
        this.own = Map.copyOf(classFiles);
        this.servesOwnClassFiles = servesOwnClassFiles;
    }

    /** Defines the named test classes from their class files on the test class path. */
    static IsolatingLoader of(String name, String... classNames) {
        Map<String, byte[]> files = new HashMap<>();
        for (String c : classNames) {
            files.put(c, TestSupport.classFile(c));
        }
        return new IsolatingLoader(name, files);
    }

    /** Loads (and so defines, the first time) one of this loader's own classes. */
    Class<?> define(String className) {
        if (!own.containsKey(className)) {
            throw new IllegalArgumentException(className + " is not one of " + getName() + "'s own classes");
        }
        try {
            return loadClass(className);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public InputStream getResourceAsStream(String name) {
        if (servesOwnClassFiles && name.endsWith(".class")) {
            byte[] bytes = own.get(name.substring(0, name.length() - ".class".length()).replace('/', '.'));
            if (bytes != null) {
                return new ByteArrayInputStream(bytes);
            }
        }
        return super.getResourceAsStream(name);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        byte[] bytes = own.get(name);
        if (bytes == null) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                c = defineClass(name, bytes, 0, bytes.length);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }
}
