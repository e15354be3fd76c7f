package io.jlivepatch.internal.build;

import com.sun.source.tree.ClassTree;
import io.jlivepatch.internal.Text;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.Tree;
import com.sun.source.util.JavacTask;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * javac through {@code javax.tools}, in memory: what the sources declare, and their class files.
 * Only loaded once the running JDK is known to have a compiler ({@code jdk.compiler}).
 */
final class SourceCompiler {

    private SourceCompiler() {
    }

    /** The internal names of the top-level types the sources declare; a syntax error refuses. */
    static List<String> topLevelTypes(JavaCompiler javac, List<Path> sources) throws IOException {
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            JavacTask task = (JavacTask) javac.getTask(null, files, diagnostics, List.of("-proc:none"), null,
                    files.getJavaFileObjectsFromPaths(sources));
            List<String> types = new ArrayList<>();
            for (CompilationUnitTree unit : task.parse()) {
                String pkg = unit.getPackageName() == null ? "" : unit.getPackageName().toString().replace('.', '/') + "/";
                for (Tree t : unit.getTypeDecls()) {
                    if (t instanceof ClassTree c) {
                        types.add(pkg + c.getSimpleName());
                    }
                }
            }
            failOnErrors(diagnostics, "javac cannot parse the --source files");
            return types;
        }
    }

    /**
     * Compiles {@code sources} with {@code options}; the class files by internal name.
     *
     * @param how the compiler and level, for the message when the sources do not compile
     */
    static Map<String, byte[]> compile(JavaCompiler javac, List<Path> sources, List<String> options, String how)
            throws IOException {
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Map<String, byte[]> classes = new TreeMap<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8);
             JavaFileManager memory = new InMemory(files, classes)) {
            JavaCompiler.CompilationTask task;
            try {
                task = javac.getTask(null, memory, diagnostics, options, null, files.getJavaFileObjectsFromPaths(sources));
            } catch (IllegalArgumentException e) {
                // an option this javac does not take: in practice a --release too old for it
                throw new IOException(how + " is not possible: " + e.getMessage() + "; run jlivepatch build with a JDK"
                        + " whose compiler still targets that release", e);
            }
            task.setLocale(Locale.ROOT);
            boolean ok = task.call();
            failOnErrors(diagnostics, "the --source files do not compile with " + how);
            if (!ok) {
                throw new IOException("the --source files do not compile with " + how + ": javac gave no reason");
            }
        }
        return classes;
    }

    /**
     * One line per error, {@code File.java:12: message}, continuation lines indented: javac's
     * diagnostics without the echoed source line and caret.
     */
    private static void failOnErrors(DiagnosticCollector<JavaFileObject> diagnostics, String what) throws IOException {
        List<String> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() != Diagnostic.Kind.ERROR) {
                continue;
            }
            // escaped: a file's name, and what javac quotes of its text, may hold any character
            String where = d.getSource() == null ? "" : Text.clean(d.getSource().getName())
                    + (d.getLineNumber() > 0 ? ":" + d.getLineNumber() : "") + ": ";
            errors.add("  " + where + d.getMessage(Locale.ROOT).strip().lines().map(Text::clean)
                    .collect(Collectors.joining("\n    ")));
        }
        if (!errors.isEmpty()) {
            throw new IOException(what + " (" + errors.size() + (errors.size() == 1 ? " error" : " errors")
                    + "); nothing written:\n" + String.join("\n", errors));
        }
    }

    /** Keeps the class files javac writes in {@code classes}, by internal name; reads as {@code files} does. */
    private static final class InMemory extends ForwardingJavaFileManager<StandardJavaFileManager> {
        private final Map<String, byte[]> classes;

        InMemory(StandardJavaFileManager files, Map<String, byte[]> classes) {
            super(files);
            this.classes = classes;
        }

        @Override
        public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
                                                   FileObject sibling) {
            String internal = className.replace('.', '/');
            return new SimpleJavaFileObject(URI.create("mem:///" + internal + kind.extension), kind) {
                @Override
                public OutputStream openOutputStream() {
                    return new ByteArrayOutputStream() {
                        @Override
                        public void close() {
                            classes.put(internal, toByteArray());
                        }
                    };
                }
            };
        }
    }
}
