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

    private Builder() {
    }

    public static BuildReport report(Path oldPath, Path newPath, List<String> includes, List<Patch.Hold> holds)
            throws IOException {
        ClassSet newBuild = ClassSet.read(newPath);
        BuildReport report = toReport(BuildDiff.compare(ClassSet.read(oldPath), newBuild, BuildDiff.includes(includes)));
        List<String> problems = new ArrayList<>(report.problems());
        problems.addAll(HeldMethods.problems(holds, newBuild, report.changedFunctions()));
        return new BuildReport(report.changedFunctions(), report.newFunctions(), report.newClasses(), problems,
                report.notes(), report.newFields());
    }

    /**
     * @param holds methods to hold ({@code Livepatch-Hold}), validated by the caller ({@code Patch.Hold})
     */
    public static BuildReport write(Path oldPath, Path newPath, List<String> includes, String name, String description,
                                    List<Patch.Hold> holds, Path out) throws IOException {
        ClassSet oldBuild = ClassSet.read(oldPath);
        ClassSet newBuild = ClassSet.read(newPath);
        BuildDiff.Result diff = BuildDiff.compare(oldBuild, newBuild, BuildDiff.includes(includes));
        BuildReport report = toReport(diff);
        if (report.refused()) {
            return report;
        }
        List<String> problems = new ArrayList<>(report.problems());
        if (diff.changes().isEmpty()) {
            problems.add("no method changed between " + oldPath + " and " + newPath + ": there is nothing to patch");
        }
        problems.addAll(HeldMethods.problems(holds, newBuild, report.changedFunctions()));
        if (!problems.isEmpty()) {
            return new BuildReport(report.changedFunctions(), report.newFunctions(), report.newClasses(), problems,
                    report.notes(), report.newFields());
        }
        try {
            PatchJarWriter.write(out, name, description, oldBuild, newBuild, diff, holds);
        } catch (IOException e) {
            throw new IOException("cannot write the patch JAR " + out + ": " + e.getMessage()
                    + " (check that its directory exists and is writable)", e);
        }
        return report;
    }

    private static BuildReport toReport(BuildDiff.Result diff) {
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
        List<String> fields = diff.fields().stream().map(AddedField::reportLine).toList();
        return new BuildReport(changed, added, newClasses, diff.problems(), diff.notes(), fields);
    }
}
