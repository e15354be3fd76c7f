package com.acme.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fixed build, target/fixed-classes (the application with src/fixed/java compiled over it), in
 * a class loader of its own: its {@code FileStore} is the fixed one, whatever the test class path
 * holds. Also the inputs both builds are compared on, and their outcomes.
 */
final class FixedBuild implements AutoCloseable {

    /** Where Maven puts the fixed build (pom.xml passes it; the default is for a run from an IDE). */
    static final Path CLASSES = Paths.get(System.getProperty("demo.fixed.classes", "target/fixed-classes"));

    /** Names a client may ask for: inside the directory, outside it, absolute, odd. */
    static final List<String> NAMES = List.of("docs/guide.txt", "docs/../docs/guide.txt", "./docs/guide.txt",
            "../www/docs/guide.txt", "missing.txt", "docs", "../secret.txt", "docs/../../secret.txt",
            "../www/../secret.txt", "..", ".", "docs/..", "/etc/passwd", "\\etc\\passwd", "");

    private final URLClassLoader loader;
    private final Constructor<?> constructor;
    private final Method resolve;
    private final Method read;

    FixedBuild() throws ReflectiveOperationException {
        if (!Files.isRegularFile(CLASSES.resolve("com/acme/files/FileStore.class"))) {
            throw new IllegalStateException(CLASSES + " holds no FileStore: build demo-app with Maven first");
        }
        try {
            loader = new URLClassLoader(new URL[] {CLASSES.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
        Class<?> fileStore = loader.loadClass(FileStore.class.getName());
        if (fileStore.getClassLoader() != loader) {
            throw new IllegalStateException(fileStore + " does not come from " + CLASSES);
        }
        constructor = fileStore.getConstructor(Path.class);
        resolve = fileStore.getMethod("resolve", String.class);
        read = fileStore.getMethod("read", String.class);
    }

    /** A fixed {@code FileStore} serving {@code baseDir}. */
    Object store(Path baseDir) throws ReflectiveOperationException {
        return constructor.newInstance(baseDir);
    }

    /** The fixed {@code store.resolve(name)}; what it throws is thrown as is. */
    Path resolve(Object store, String name) {
        return (Path) call(resolve, store, name);
    }

    /** The fixed {@code store.read(name)}; what it throws is thrown as is. */
    byte[] read(Object store, String name) throws IOException {
        try {
            return (byte[]) call(read, store, name);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static Object call(Method m, Object store, String name) {
        try {
            return m.invoke(store, name);
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error err) {
                throw err;
            }
            if (t instanceof IOException io) {
                throw new UncheckedIOException(io);
            }
            throw new IllegalStateException(t);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code resolve} and {@code read} of every name in {@link #NAMES}, as comparable text. */
    static Map<String, String> outcomes(Resolver resolve, Reader read) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : NAMES) {
            out.put("resolve " + name, outcome(() -> resolve.resolve(name)));
            out.put("read " + name, outcome(() -> new String(read.read(name), StandardCharsets.UTF_8)));
        }
        return out;
    }

    interface Resolver {
        Path resolve(String name);
    }

    interface Reader {
        byte[] read(String name) throws IOException;
    }

    private interface Call {
        Object call() throws Exception;
    }

    private static String outcome(Call c) {
        try {
            return "returned " + c.call();
        } catch (Exception e) {
            return "threw " + e;
        }
    }

    @Override
    public void close() throws IOException {
        loader.close();
    }
}
