package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What patch JARs that wait for their class loader (start-up patches, a watched directory) wait
 * for: the class files of their target classes, and of the classes they were built against, that the
 * system class loader cannot read. A class loader that appears later is worth a retry only when it
 * can read one of them: a Spring Boot start makes dozens of loaders (the launcher's, each CGLIB and
 * reflection loader), and retrying for each made a refusal each time.
 *
 * <p>Asks {@link ClassLoader#getResource}, which may run a loader's own code: call it from
 * jlivepatch's own thread, never from the thread that is defining a class.
 */
public final class AwaitedClasses {

    /** The class file resources looked for ({@code com/acme/Pricing.class}); empty when not known. */
    private final List<String> resources;

    private AwaitedClasses(List<String> resources) {
        this.resources = resources;
    }

    /**
     * The awaited classes of {@code jars}. A JAR that cannot be read now, or whose every target the
     * system loader can read (it waits for some other class), makes every new loader worth a retry:
     * the retry then says why it is refused.
     */
    public static AwaitedClasses of(List<Path> jars) {
        Set<String> out = new LinkedHashSet<>();
        for (Path p : jars) {
            Set<String> of = of(p);
            if (of.isEmpty()) {
                return new AwaitedClasses(List.of());
            }
            out.addAll(of);
        }
        return new AwaitedClasses(List.copyOf(out));
    }

    private static Set<String> of(Path jar) {
        Set<String> names = new LinkedHashSet<>();
        try {
            PatchJar j = PatchJar.read(PatchJarBytes.read(jar, JarLimits.current()), JarLimits.current());
            for (ReplacesScanner.Entry e : ReplacesScanner.scan(j)) {
                names.add(e.target());
            }
            names.addAll(j.oldDigests().keySet());
        } catch (PatchException | RuntimeException e) {
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (String n : names) {
            String resource = n.replace('.', '/') + ".class";
            if (ClassLoader.getSystemResource(resource) == null) {
                out.add(resource);
            }
        }
        return out;
    }

    /** Whether every new class loader is worth a retry (the classes are not known). */
    public boolean anyLoader() {
        return resources.isEmpty();
    }

    /** Whether {@code loader} can read the class file of one of the awaited classes (or they are not known). */
    public boolean visibleTo(ClassLoader loader) {
        if (resources.isEmpty()) {
            return true;
        }
        for (String r : resources) {
            try {
                if (loader.getResource(r) != null) {
                    return true;
                }
            } catch (RuntimeException | LinkageError e) {
                // a loader that cannot answer is not the one: the next may be
            }
        }
        return false;
    }

    /**
     * Whether {@code loader} has finished defining a class: a watcher hears of a loader at its first
     * class definition, before the class is in the JVM, and a patch JAR looks for its loader among
     * the loaders of loaded classes, so a retry before that would miss the very loader it waits for.
     * (Every loader counts as initiating the primitive array classes: only its own classes count here.)
     */
    public static boolean hasDefinedAClass(java.lang.instrument.Instrumentation inst, ClassLoader loader) {
        for (Class<?> c : inst.getInitiatedClasses(loader)) {
            if (c.getClassLoader() == loader) {
                return true;
            }
        }
        return false;
    }

    /** For the log: the awaited class files, or "any class". */
    @Override
    public String toString() {
        return resources.isEmpty() ? "any class" : String.join(", ", resources);
    }
}
