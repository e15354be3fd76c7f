package io.jlivepatch.jar;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A class loader as an OSGi framework makes one per bundle: the bundle's own packages are defined
 * from its own directory with no parent delegation, an imported package is delegated to the loader
 * of the bundle that exports it (which defines the class: the defining loader is not the one asked),
 * and everything else (java.*) goes to the platform loader. Resources follow the same rules.
 */
final class BundleLoader extends ClassLoader {

    static {
        registerAsParallelCapable(); // as Equinox's and Felix's loaders are
    }

    private final Path root;
    private final Set<String> ownPackages;
    private final Map<String, BundleLoader> imports = new ConcurrentHashMap<>();

    BundleLoader(String name, Path root, Set<String> ownPackages) {
        super(name, ClassLoader.getPlatformClassLoader());
        this.root = root;
        this.ownPackages = Set.copyOf(ownPackages);
    }

    /** Wires package {@code pkg} to the bundle that exports it (the framework's resolver does this). */
    BundleLoader importing(String pkg, BundleLoader exporter) {
        imports.put(pkg, exporter);
        return this;
    }

    private static String packageOf(String className) {
        int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : className.substring(0, dot);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        String pkg = packageOf(name);
        BundleLoader exporter = imports.get(pkg);
        if (exporter != null) {
            return exporter.loadClass(name);
        }
        if (ownPackages.contains(pkg)) {
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                return c != null ? c : findClass(name);
            }
        }
        return super.loadClass(name, resolve);
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        Path file = root.resolve(name.replace('.', '/') + ".class");
        try {
            byte[] bytes = Files.readAllBytes(file);
            return defineClass(name, bytes, 0, bytes.length);
        } catch (IOException e) {
            throw new ClassNotFoundException(name + " is not in bundle " + getName(), e);
        }
    }

    @Override
    public URL getResource(String name) {
        int slash = name.lastIndexOf('/');
        String pkg = slash < 0 ? "" : name.substring(0, slash).replace('/', '.');
        BundleLoader exporter = imports.get(pkg);
        if (exporter != null) {
            return exporter.getResource(name);
        }
        if (ownPackages.contains(pkg)) {
            Path file = root.resolve(name);
            try {
                return Files.isRegularFile(file) ? file.toUri().toURL() : null;
            } catch (MalformedURLException e) {
                return null;
            }
        }
        return super.getResource(name);
    }
}
