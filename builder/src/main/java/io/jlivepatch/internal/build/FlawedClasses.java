package io.jlivepatch.internal.build;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The classes either build holds that the JVM would not load ({@link ClassSet#flaws}: a control
 * character in a class or member name, a descriptor that is no descriptor, ...). One the patch
 * would carry or compare (in one build only, or changed, and among the classes compared) refuses
 * the build, as it always did: its report lines would quote its names, and its code cannot be
 * written into a patch. One both builds hold unchanged, or that {@code --include} leaves out, plays
 * no part in the patch and is left alone with a note: before, an untouched library class with an
 * obfuscator's name refused every build of its application, and with it the operator's fix.
 */
final class FlawedClasses {

    private FlawedClasses() {
    }

    /**
     * @return the notes, one per class left alone
     * @throws IOException the first flawed class's refusal (the old build's first), as reading it used to
     */
    static List<String> check(ClassSet oldBuild, ClassSet newBuild, Predicate<String> include) throws IOException {
        for (ClassSet build : List.of(oldBuild, newBuild)) {
            for (Map.Entry<String, ClassSet.Flaw> e : build.flaws().entrySet()) {
                if (include.test(BuildDiff.dotted(e.getKey())) && !unchanged(e.getKey(), oldBuild, newBuild)) {
                    throw new IOException(e.getValue().refusal() + e.getValue().what() + ArchiveReader.DAMAGED);
                }
            }
        }
        List<String> notes = new ArrayList<>();
        for (String name : new TreeSet<>(union(oldBuild, newBuild))) {
            ClassSet.Flaw f = oldBuild.flaws().getOrDefault(name, newBuild.flaws().get(name));
            notes.add(f.what() + (unchanged(name, oldBuild, newBuild) ? ", the same in both builds" : ", left out by"
                    + " --include") + ": left alone, the patch neither carries nor replaces it (a JVM loading it would"
                    + " refuse it)");
        }
        return notes;
    }

    private static List<String> union(ClassSet a, ClassSet b) {
        List<String> names = new ArrayList<>(a.flaws().keySet());
        names.addAll(b.flaws().keySet());
        return names;
    }

    /** Whether both builds hold {@code name} with the same class file, in the same places. */
    private static boolean unchanged(String name, ClassSet oldBuild, ClassSet newBuild) {
        byte[] before = oldBuild.classes().get(name);
        byte[] after = newBuild.classes().get(name);
        return before != null && after != null && Arrays.equals(before, after)
                && sameCopies(oldBuild.duplicates().get(name), newBuild.duplicates().get(name));
    }

    private static boolean sameCopies(List<ClassSet.Copy> a, List<ClassSet.Copy> b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).container().equals(b.get(i).container()) || !Arrays.equals(a.get(i).bytes(), b.get(i).bytes())) {
                return false;
            }
        }
        return true;
    }
}
