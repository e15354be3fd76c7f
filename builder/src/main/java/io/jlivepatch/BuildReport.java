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
 * @param newFields        fields the new build adds to existing classes, carried as shadow variables:
 *                         {@code com.acme.Account.audits (I) -> shadow variable 0x1f2e3d4c5b6a7988},
 *                         with {@code ", starting as 5"} when the new build gives it an initial value
 * @param warnings         what the patch does that its author may not mean, and is made all the same: a
 *                         changed function that calls itself
 */
public record BuildReport(List<String> changedFunctions, List<String> newFunctions, List<String> newClasses,
                          List<String> problems, List<String> notes, List<String> newFields, List<String> warnings) {

    public BuildReport {
        changedFunctions = List.copyOf(changedFunctions);
        newFunctions = List.copyOf(newFunctions);
        newClasses = List.copyOf(newClasses);
        problems = List.copyOf(problems);
        notes = List.copyOf(notes);
        newFields = List.copyOf(newFields);
        warnings = List.copyOf(warnings);
    }

    /** A report without warnings. */
    public BuildReport(List<String> changedFunctions, List<String> newFunctions, List<String> newClasses,
                       List<String> problems, List<String> notes, List<String> newFields) {
        this(changedFunctions, newFunctions, newClasses, problems, notes, newFields, List.of());
    }

    /** A report without new fields. */
    public BuildReport(List<String> changedFunctions, List<String> newFunctions, List<String> newClasses,
                       List<String> problems, List<String> notes) {
        this(changedFunctions, newFunctions, newClasses, problems, notes, List.of());
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
        newFields.forEach(f -> out.add("new field: " + f));
        notes.forEach(n -> out.add("note: " + n));
        warnings.forEach(w -> out.add("warning: " + w));
        problems.forEach(p -> out.add("ERROR: " + p));
        out.add(refused()
                ? problems.size() + (problems.size() == 1 ? " change" : " changes") + " cannot be live patched; no patch written"
                : changedFunctions.size() + " changed, " + newFunctions.size() + " new function(s), "
                + newClasses.size() + " new class(es)" + (newFields.isEmpty() ? "" : ", " + newFields.size()
                + " new field(s)"));
        return out;
    }
}
