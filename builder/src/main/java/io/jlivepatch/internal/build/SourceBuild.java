package io.jlivepatch.internal.build;

import io.jlivepatch.internal.Text;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.LineNumberNode;
import org.objectweb.asm.tree.MethodNode;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The new build of {@code jlivepatch build --source}: the changed classes' sources compiled
 * against the old build, as close as one can get to how the old build was compiled (its bytecode
 * level, its debug information, its {@code -parameters}), laid over the old build.
 *
 * <p>Nothing runs but the compiler: no annotation processing ({@code -proc:none}).
 */
final class SourceBuild {

    /**
     * @param classes the old build with the compiled classes in place of theirs
     * @param notes   the compiler and level used, and whether the old build's compiler differs
     */
    record Result(ClassSet classes, List<String> notes) {
    }

    private SourceBuild() {
    }

    static Result compile(ClassSet oldBuild, List<Path> sourceArgs, List<Path> classpath) throws IOException {
        List<Path> sources = expand(sourceArgs);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IOException("this Java runtime (" + System.getProperty("java.home") + ", "
                    + System.getProperty("java.version") + ") has no Java compiler: run jlivepatch build --source"
                    + " with a JDK, not a JRE");
        }
        List<String> declared = SourceCompiler.topLevelTypes(javac, sources);
        Map<String, byte[]> replaced = new TreeMap<>();
        for (String type : declared) {
            byte[] old = oldBuild.classes().get(type);
            if (old != null) {
                replaced.put(type, old);
            }
        }
        if (declared.isEmpty()) {
            throw new IOException("the --source files (" + sources.size() + ") declare no class: give the changed"
                    + " classes' sources");
        }
        if (replaced.isEmpty()) {
            throw new IOException("none of the --source classes (" + Text.clean(String.join(", ", dotted(declared))) + ") is a"
                    + " class of the old build " + Text.clean(oldBuild.source().toString()) + ": give the sources of changed classes of that"
                    + " build, and check their package declarations and that --old is the build they belong to");
        }
        int release = release(replaced);
        List<String> options = new ArrayList<>(List.of("--release", Integer.toString(release), "-proc:none",
                "-implicit:none", "-encoding", "UTF-8", debugOption(replaced.values())));
        if (hasParameterNames(replaced.values())) {
            options.add("-parameters");
        }
        // A fat JAR or a WAR is no class path entry: javac gets its classes, as they run, in a directory.
        Path extracted = oldBuild.layout().nested() ? extract(oldBuild.classes()) : null;
        Map<String, byte[]> compiled;
        String compiler = "javac " + System.getProperty("java.version");
        try {
            List<String> path = new ArrayList<>();
            path.add((extracted != null ? extracted : oldBuild.source()).toString());
            classpath.forEach(p -> path.add(p.toString()));
            options.addAll(List.of("-classpath", String.join(File.pathSeparator, path), "-sourcepath", ""));
            compiled = SourceCompiler.compile(javac, sources, options, compiler + " at --release " + release);
        } finally {
            if (extracted != null) {
                delete(extracted);
            }
        }

        Map<String, byte[]> overlaid = new TreeMap<>(oldBuild.classes());
        // The recompiled classes' old nested and anonymous classes go too: a full rebuild would not
        // have those the new source no longer declares.
        overlaid.keySet().removeIf(name -> declared.stream().anyMatch(t -> name.equals(t) || name.startsWith(t + "$")));
        overlaid.putAll(compiled);
        List<String> notes = new ArrayList<>();
        notes.add("compiled " + sources.size() + " source file(s) with " + compiler + " (the running JDK) at --release "
                + release + ", the level of the old classes they replace (major " + (release + 44) + ")");
        OldCompiler.note(oldBuild.source(), System.getProperty("java.version")).ifPresent(notes::add);
        // the old build's duplicates stay what they were, but for the classes compiled here
        Map<String, List<ClassSet.Copy>> duplicates = new TreeMap<>(oldBuild.duplicates());
        duplicates.keySet().removeIf(name -> declared.stream().anyMatch(t -> name.equals(t) || name.startsWith(t + "$")));
        // compiled here, every class file is whole: an old one's flaws are the old build's, compared with this
        return new Result(new ClassSet(sources.get(0), overlaid, ClassSet.digest(overlaid), duplicates, Layout.PLAIN,
                List.of(), oldBuild.versioned(), Map.of()), notes);
    }

    private static Path extract(Map<String, byte[]> classes) throws IOException {
        Path dir = Files.createTempDirectory("jlivepatch-old-classes");
        for (Map.Entry<String, byte[]> e : classes.entrySet()) {
            if (ClassNames.unprintable(e.getKey()) != null) {
                continue; // no Java source can name it (and a NUL is in no file name)
            }
            Path f = dir.resolve(e.getKey() + ".class");
            Files.createDirectories(f.getParent());
            Files.write(f, e.getValue());
        }
        return dir;
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static boolean isSource(String name) {
        return name.endsWith(".java");
    }

    /** The {@code .java} files given: a file as it is, a directory for every {@code .java} under it. */
    private static List<Path> expand(List<Path> args) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : args) {
            if (Files.isDirectory(p)) {
                int before = out.size();
                try {
                    out.addAll(DirectoryFiles.list(p, "the sources").files(SourceBuild::isSource).entrySet().stream()
                            .filter(f -> isSource(f.getKey())).map(Map.Entry::getValue).toList());
                } catch (DirectoryFiles.Unreadable e) {
                    throw new IOException("cannot read --source " + Text.clean(p.toString()) + ": " + e.getMessage(), e);
                }
                if (out.size() == before) {
                    throw new IOException("--source " + Text.clean(p.toString()) + " holds no .java file: give the changed classes' sources");
                }
            } else if (!Files.isRegularFile(p)) {
                throw new IOException("--source " + Text.clean(p.toString()) + " does not exist: give a .java file or a directory of them");
            } else if (!p.toString().endsWith(".java")) {
                throw new IOException("--source " + Text.clean(p.toString()) + " is not a .java file: give the changed classes' sources");
            } else {
                out.add(p);
            }
        }
        if (out.isEmpty()) {
            throw new IOException("no --source given: give the changed classes' .java files");
        }
        for (Path p : out) {
            // javac's own refusal of it beside classes on the class path is "file should be on source path"
            if (p.getFileName().toString().equals("module-info.java")) {
                throw new IOException("--source " + Text.clean(p.toString()) + " is a module declaration: a patch"
                        + " replaces methods of classes and cannot change a module; give the changed classes' sources"
                        + " without it (the files, or a directory below it)");
            }
        }
        return out;
    }

    /**
     * The {@code --release} of the old classes: one level for all, one this compiler can target.
     * Compiled at another level, every method of the class could differ from the running one.
     */
    private static int release(Map<String, byte[]> replaced) throws IOException {
        Map<Integer, List<String>> byMajor = new TreeMap<>();
        replaced.forEach((name, bytes) -> byMajor.computeIfAbsent(major(bytes), k -> new ArrayList<>())
                .add(name.replace('/', '.')));
        if (byMajor.size() > 1) {
            List<String> levels = new ArrayList<>();
            byMajor.forEach((major, names) -> levels.add("Java " + (major - 44) + " (major " + major + "): "
                    + String.join(", ", names)));
            throw new IOException("the --source classes replace old classes of different bytecode levels, "
                    + String.join("; ", levels) + ": make one patch per level");
        }
        int major = byMajor.keySet().iterator().next();
        int release = major - 44;
        int feature = Runtime.version().feature();
        if (release > feature) {
            throw new IOException("the old classes are Java " + release + " bytecode (major " + major + "); this JDK's"
                    + " compiler (" + System.getProperty("java.version") + ") targets at most --release " + feature
                    + ": run jlivepatch build with JDK " + release + " or later");
        }
        return release;
    }

    static int major(byte[] classFile) {
        return ((classFile[6] & 0xff) << 8) | (classFile[7] & 0xff);
    }

    /** {@code -g} for the debug attributes the old classes carry, so that stack traces of patched code match. */
    private static String debugOption(Iterable<byte[]> classFiles) {
        TreeSet<String> kinds = new TreeSet<>();
        for (byte[] bytes : classFiles) {
            ClassNode c = node(bytes);
            if (c.sourceFile != null) {
                kinds.add("source");
            }
            for (MethodNode m : c.methods) {
                if (m.localVariables != null && !m.localVariables.isEmpty()) {
                    kinds.add("vars");
                }
                if (m.instructions != null && Stream.of(m.instructions.toArray()).anyMatch(i -> i instanceof LineNumberNode)) {
                    kinds.add("lines");
                }
            }
        }
        return kinds.isEmpty() ? "-g:none" : "-g:" + String.join(",", kinds);
    }

    private static boolean hasParameterNames(Iterable<byte[]> classFiles) {
        for (byte[] bytes : classFiles) {
            if (node(bytes).methods.stream().anyMatch(m -> m.parameters != null)) {
                return true;
            }
        }
        return false;
    }

    private static ClassNode node(byte[] bytes) {
        ClassNode c = new ClassNode();
        new ClassReader(bytes).accept(c, ClassReader.SKIP_FRAMES);
        return c;
    }

    private static List<String> dotted(List<String> names) {
        return names.stream().map(n -> n.replace('/', '.')).toList();
    }
}
