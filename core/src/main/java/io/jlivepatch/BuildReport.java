package io.jlivepatch;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code jlivepatch build} found between two builds, in kpatch-build's words.
 *
 * @param changedFunctions methods whose bytecode changed: {@code com.acme.Files.resolve(Ljava/lang/String;)Ljava/nio/file/Path;}
 * @param newFunctions     methods only the new build has, carried in the patch
 * @param newClasses       classes only the new build has, carried in the patch
 * @param problems         one line per change a method patch cannot carry, naming the class, the member and why
 * @param notes            what was seen and left alone
 */
public record BuildReport(List<String> changedFunctions, List<String> newFunctions, List<String> newClasses,
                          List<String> problems, List<String> notes) {

    public BuildReport {
        changedFunctions = List.copyOf(changedFunctions);
        newFunctions = List.copyOf(newFunctions);
        newClasses = List.copyOf(newClasses);
        problems = List.copyOf(problems);
        notes = List.copyOf(notes);
    }

    /** Whether the change cannot be made into a patch. */
    public boolean refused() {
        return !problems.isEmpty();
    }

    /** The report as printed: one line per finding, then a summary. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        changedFunctions.forEach(f -> out.add("changed function: " + f));
        newFunctions.forEach(f -> out.add("new function: " + f));
        newClasses.forEach(c -> out.add("new class: " + c));
        notes.forEach(n -> out.add("note: " + n));
        problems.forEach(p -> out.add("ERROR: " + p));
        out.add(refused()
                ? problems.size() + (problems.size() == 1 ? " change" : " changes") + " cannot be live patched; no patch written"
                : changedFunctions.size() + " changed, " + newFunctions.size() + " new function(s), "
                + newClasses.size() + " new class(es)");
        return out;
    }
}
