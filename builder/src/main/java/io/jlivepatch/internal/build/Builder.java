package io.jlivepatch.internal.build;

import io.jlivepatch.BuildReport;
import io.jlivepatch.Patch;
import io.jlivepatch.internal.Text;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.MethodNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

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

    /** What both builds compare to: the report is the same whether a JAR is written or not. */
    private record Analysis(Inputs in, BuildDiff.Result diff, BuildReport report) {
    }

    /**
     * Compares only: the report of what changed, even when nothing did.
     *
     * @throws IllegalArgumentException when an include pattern matches no class
     */
    public static BuildReport report(Request request) throws IOException {
        return analyse(request).report();
    }

    /**
     * Compares and, unless the report refuses the change, writes the patch JAR to {@code out};
     * with {@code out} null, checks all that writing it would (the dry run of the command) and
     * writes nothing. Either way the report, and every refusal, is the same.
     *
     * @throws IllegalArgumentException when an include pattern matches no class, or no method changed
     */
    public static BuildReport write(Request request, String name, String description, Path out) throws IOException {
        if (out != null) {
            checkOutput(out, name, inputs(request));
        }
        Analysis a = analyse(request);
        if (a.report().refused()) {
            return a.report();
        }
        if (a.diff().changes().isEmpty()) {
            throw new IllegalArgumentException("no method changed between " + Text.clean(request.oldBuild()
                    .toString()) + " and " + Text.clean(a.in().newName()) + (request.includes().isEmpty() ? ""
                    : " in the classes --include " + Includes.quoted(request.includes()) + " matches")
                    + ": there is nothing to patch");
        }
        if (out == null) {
            return a.report();
        }
        try {
            PatchJarWriter.write(out, name, description, a.in().oldBuild(), a.in().newBuild(), a.diff(),
                    request.holds(), request.replace(), request.states());
        } catch (RuntimeException e) {
            throw unforeseen(request, a.in(), e);
        } catch (IOException e) {
            throw PatchOutput.notWritten(out, e);
        }
        return a.report();
    }

    /**
     * Refuses {@code out} as the patch JAR's file when it could not be written there (its directory
     * missing, a file, or not writable), or when writing there would lose something: a
     * directory (the JAR is moved into place over what is there, and a move replaces an empty
     * directory: -o naming a watched patch directory would have lost it), or one of {@code inputs} or a
     * file already in one that is a directory (read whole before the JAR is written, so it would be
     * replaced unasked). The command's signed
     * build, which writes elsewhere first, asks the same.
     *
     * @param name the patch's name, for the file name the refusal proposes; {@code null}: "fix"
     */
    public static void checkOutput(Path out, String name, List<Path> inputs) throws IOException {
        PatchOutput.check(out, name, inputs);
    }

    /**
     * What {@code request} reads from files: the old build, and the new one, or the sources it is compiled
     * from and their class path (a fix's source file is lost as surely as a build's class file).
     */
    private static List<Path> inputs(Request request) {
        List<Path> inputs = new ArrayList<>(List.of(request.oldBuild()));
        if (request.newBuild() instanceof NewBuild.Classes c) {
            inputs.add(c.path());
        } else if (request.newBuild() instanceof NewBuild.Sources s) {
            inputs.addAll(s.sources());
            inputs.addAll(s.classpath());
        }
        return inputs;
    }

    private static Analysis analyse(Request request) throws IOException {
        Inputs in = read(request);
        try {
            return analyse(request, in);
        } catch (RuntimeException e) {
            throw unforeseen(request, in, e);
        }
    }

    /**
     * A failure of the comparison or the writing on class files the reading took ({@link ClassFileCheck}
     * is to refuse every one they would trip on): the builder's own one-line error naming both builds,
     * not a parser's exception out of the command with its stack trace. The patch is not written
     * (PatchJarWriter writes beside the output and moves it into place last).
     */
    private static IOException unforeseen(Request request, Inputs in, RuntimeException e) {
        return new IOException("cannot build a patch from " + Text.clean(request.oldBuild().toString()) + " and "
                + Text.clean(in.newName()) + ": a class file of theirs could not be processed ("
                + Damage.ofClassFile(e) + "): check that both builds are whole (build them again, or copy them again);"
                + " if they are, report this to jlivepatch with the two builds", e);
    }

    private static Analysis analyse(Request request, Inputs in) {
        Predicate<String> include = BuildDiff.includes(request.includes());
        DuplicateClasses.Result duplicates = DuplicateClasses.check(in.oldBuild(), in.newBuild(), include);
        // a class refused for its duplicates is not compared: its changes would name one copy of several
        BuildDiff.Result diff = BuildDiff.compare(in.oldBuild(), in.newBuild(),
                include.and(n -> !duplicates.refused().contains(n.replace('.', '/'))));
        List<String> notes = new ArrayList<>(in.notes());
        notes.addAll(duplicates.notes());
        BuildReport report = toReport(diff, notes);
        List<String> problems = new ArrayList<>(duplicates.problems());
        problems.addAll(VersionedClasses.problems(in.oldBuild(), in.newBuild(), include));
        problems.addAll(ClassNames.unlisted(carried(diff)));
        problems.addAll(report.problems());
        problems.addAll(HeldMethods.problems(request.holds(), in.newBuild(), report.changedFunctions()));
        return new Analysis(in, diff, new BuildReport(report.changedFunctions(), report.newFunctions(),
                report.newClasses(), problems, report.notes(), report.newFields(), SelfCallingFunctions.warnings(diff)));
    }

    private static Inputs read(Request request) throws IOException {
        ClassSet oldBuild = ClassSet.read(request.oldBuild());
        Inputs in;
        if (request.newBuild() instanceof NewBuild.Classes c) {
            ClassSet newBuild = ClassSet.read(c.path());
            List<String> notes = new ArrayList<>(oldBuild.notes());
            notes.addAll(newBuild.notes());
            in = new Inputs(oldBuild, newBuild, c.path().toString(), notes);
        } else {
            NewBuild.Sources s = (NewBuild.Sources) request.newBuild();
            SourceBuild.Result compiled = SourceBuild.compile(oldBuild, s.sources(), s.classpath());
            List<String> notes = new ArrayList<>(oldBuild.notes());
            notes.addAll(compiled.notes());
            in = new Inputs(oldBuild, compiled.classes(), "the compiled --source files", notes);
        }
        List<String> notes = new ArrayList<>(in.notes());
        notes.addAll(FlawedClasses.check(in.oldBuild(), in.newBuild(), BuildDiff.includes(request.includes())));
        Includes.check(request.includes(), in.oldBuild(), in.newBuild());
        return new Inputs(in.oldBuild(), in.newBuild(), in.newName(), notes);
    }

    /** The classes a patch of {@code diff} carries, by the names its manifest would list them under. */
    private static List<String> carried(BuildDiff.Result diff) {
        List<String> names = new ArrayList<>();
        diff.changes().forEach(c -> names.add(c.name()));
        names.addAll(diff.newClasses());
        diff.fields().forEach(f -> names.add(f.boxName()));
        return names;
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
