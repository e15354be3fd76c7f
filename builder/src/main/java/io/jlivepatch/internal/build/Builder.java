package io.jlivepatch.internal.build;

import io.jlivepatch.BuildReport;
import io.jlivepatch.Patch;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.MethodNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs a build: read both inputs, compare, report, write. */
public final class Builder {

    /** The new build: a JAR or class directory, or sources compiled against the old build. */
    public sealed interface NewBuild {
        /** @param path a JAR, a class directory or a Maven project */
        record Classes(Path path) implements NewBuild {
        }

        /**
         * @param sources   {@code .java} files, or directories of them
         * @param classpath what the sources need besides the old build
         */
        record Sources(List<Path> sources, List<Path> classpath) implements NewBuild {
            public Sources {
                sources = List.copyOf(sources);
                classpath = List.copyOf(classpath);
            }
        }
    }

    /**
     * One build to make.
     *
     * @param includes class name patterns ({@code --include})
     * @param holds    methods to hold ({@code Livepatch-Hold}), validated by the caller ({@code Patch.Hold})
     * @param replace  a cumulative patch ({@code Livepatch-Replace})
     * @param states   {@code Livepatch-States}, validated by the caller ({@code Patch.State}, each id once)
     */
    public record Request(Path oldBuild, NewBuild newBuild, List<String> includes, List<Patch.Hold> holds,
                          boolean replace, List<Patch.State> states) {
        public Request {
            includes = List.copyOf(includes);
            holds = List.copyOf(holds);
            states = List.copyOf(states);
        }
    }

    /** Both builds as read, and what reading them noted (the compiler of a source build). */
    private record Inputs(ClassSet oldBuild, ClassSet newBuild, String newName, List<String> notes) {
    }

    private Builder() {
    }

    /**
     * Compares only (the dry run).
     *
     * @throws IllegalArgumentException when an include pattern matches no class
     */
    public static BuildReport report(Request request) throws IOException {
        Inputs in = read(request);
        BuildDiff.Result diff = BuildDiff.compare(in.oldBuild(), in.newBuild(), BuildDiff.includes(request.includes()));
        BuildReport report = toReport(diff, in.notes());
        List<String> problems = new ArrayList<>(report.problems());
        problems.addAll(HeldMethods.problems(request.holds(), in.newBuild(), report.changedFunctions()));
        return new BuildReport(report.changedFunctions(), report.newFunctions(), report.newClasses(), problems,
                report.notes(), report.newFields());
    }

    /**
     * Compares and, unless the report refuses the change, writes the patch JAR to {@code out}.
     *
     * @throws IllegalArgumentException when an include pattern matches no class, or no method changed
     */
    public static BuildReport write(Request request, String name, String description, Path out) throws IOException {
        Inputs in = read(request);
        BuildDiff.Result diff = BuildDiff.compare(in.oldBuild(), in.newBuild(), BuildDiff.includes(request.includes()));
        BuildReport report = toReport(diff, in.notes());
        if (report.refused()) {
            return report;
        }
        if (diff.changes().isEmpty()) {
            throw new IllegalArgumentException("no method changed between " + request.oldBuild() + " and "
                    + in.newName() + (request.includes().isEmpty() ? "" : " in the classes --include "
                    + Includes.quoted(request.includes()) + " matches") + ": there is nothing to patch");
        }
        List<String> problems = new ArrayList<>(HeldMethods.problems(request.holds(), in.newBuild(),
                report.changedFunctions()));
        if (!problems.isEmpty()) {
            return new BuildReport(report.changedFunctions(), report.newFunctions(), report.newClasses(), problems,
                    report.notes(), report.newFields());
        }
        try {
            PatchJarWriter.write(out, name, description, in.oldBuild(), in.newBuild(), diff, request.holds(),
                    request.replace(), request.states());
        } catch (IOException e) {
            throw new IOException("cannot write the patch JAR " + out + ": " + e.getMessage()
                    + " (check that its directory exists and is writable)", e);
        }
        return report;
    }

    private static Inputs read(Request request) throws IOException {
        ClassSet oldBuild = ClassSet.read(request.oldBuild());
        Inputs in;
        if (request.newBuild() instanceof NewBuild.Classes c) {
            in = new Inputs(oldBuild, ClassSet.read(c.path()), c.path().toString(), List.of());
        } else {
            NewBuild.Sources s = (NewBuild.Sources) request.newBuild();
            SourceBuild.Result compiled = SourceBuild.compile(oldBuild, s.sources(), s.classpath());
            in = new Inputs(oldBuild, compiled.classes(), "the compiled --source files", compiled.notes());
        }
        Includes.check(request.includes(), in.oldBuild(), in.newBuild());
        return in;
    }

    private static BuildReport toReport(BuildDiff.Result diff, List<String> readNotes) {
        List<String> changed = new ArrayList<>();
        List<String> added = new ArrayList<>();
        for (BuildDiff.ClassChange c : diff.changes()) {
            String cls = c.name().replace('/', '.');
            for (MethodNode m : c.changed()) {
                if ((m.access & Opcodes.ACC_ABSTRACT) == 0) {
                    changed.add(cls + "." + m.name + m.desc);
                }
            }
            c.added().forEach(m -> added.add(cls + "." + m.name + m.desc));
        }
        List<String> newClasses = diff.newClasses().stream().map(n -> n.replace('/', '.')).toList();
        List<String> notes = new ArrayList<>(readNotes);
        notes.addAll(diff.notes());
        List<String> fields = diff.fields().stream().map(AddedField::reportLine).toList();
        return new BuildReport(changed, added, newClasses, diff.problems(), notes, fields);
    }
}
