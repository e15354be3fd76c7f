package io.jlivepatch.internal.build;

import io.jlivepatch.internal.Text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * What the comparison makes of a class a build holds in more than one place with different
 * content ({@link ClassSet#duplicates}):
 * <ul>
 * <li>in the application's classes and in a library: the application's copy runs (it comes first
 *     on the class path) and is the one compared; a note says which library copy it hides;</li>
 * <li>in two libraries, and not the application's classes: which copy runs depends on the order the
 *     launcher or the container gives the libraries. Unchanged between the builds (the same copies
 *     in the same places), it is noted and left alone; otherwise the change is refused, since no
 *     patch can say which class file it replaces.</li>
 * </ul>
 * The notes and errors group the classes by the places they are in: a duplicated dependency
 * duplicates hundreds of classes.
 */
final class DuplicateClasses {

    /** Classes named in one line, at most. */
    private static final int SHOWN = 5;

    /**
     * @param refused  classes left out of the comparison, each named in an error
     * @param problems the errors, one per group of places
     * @param notes    the notes, one per group of places
     */
    record Result(Set<String> refused, List<String> problems, List<String> notes) {
    }

    private DuplicateClasses() {
    }

    static Result check(ClassSet oldBuild, ClassSet newBuild, Predicate<String> include) {
        Set<String> names = new TreeSet<>(oldBuild.duplicates().keySet());
        names.addAll(newBuild.duplicates().keySet());
        Map<String, Set<String>> hidden = new TreeMap<>(); // the same copies may be in both builds
        Map<String, List<String>> unchanged = new TreeMap<>();
        Map<String, List<String>> changed = new TreeMap<>();
        Set<String> refused = new TreeSet<>();
        for (String name : names) {
            if (!include.test(BuildDiff.dotted(name))) {
                continue;
            }
            List<ClassSet.Copy> before = oldBuild.duplicates().get(name);
            List<ClassSet.Copy> after = newBuild.duplicates().get(name);
            if (ambiguous(before) || ambiguous(after)) {
                List<ClassSet.Copy> shown = after != null && ambiguous(after) ? after : before;
                if (same(before, after)) {
                    unchanged.computeIfAbsent(places(shown), k -> new ArrayList<>()).add(name);
                } else {
                    changed.computeIfAbsent(places(shown), k -> new ArrayList<>()).add(name);
                    refused.add(name);
                }
            } else {
                for (List<ClassSet.Copy> copies : Arrays.asList(before, after)) {
                    if (copies != null) {
                        hidden.computeIfAbsent(places(copies), k -> new TreeSet<>()).add(name);
                    }
                }
            }
        }
        List<String> notes = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        hidden.forEach((places, classes) -> notes.add(count(classes) + " in " + places + " with different content ("
                + shown(classes) + "): the first is the application's copy, which comes first on the class path, so"
                + " it runs and is the one compared"));
        unchanged.forEach((places, classes) -> notes.add(count(classes) + " in " + places + " with different content ("
                + shown(classes) + "), the same in both builds: left alone"));
        changed.forEach((places, classes) -> problems.add(shown(classes) + ": " + (classes.size() == 1 ? "a class" :
                classes.size() + " classes") + " in " + places + " with different content: which one runs depends on"
                + " the order the launcher or the servlet container gives the libraries, so a patch cannot know which"
                + " class file it replaces; keep one copy (exclude the duplicate dependency) or leave "
                + (classes.size() == 1 ? "it" : "them") + " out of the comparison with --include"));
        return new Result(refused, problems, notes);
    }

    /** Two libraries, no application copy in front of them: the launcher's order decides. */
    private static boolean ambiguous(List<ClassSet.Copy> copies) {
        return copies != null && copies.get(0).container().endsWith(".jar");
    }

    private static boolean same(List<ClassSet.Copy> a, List<ClassSet.Copy> b) {
        if (a == null || b == null || a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).container().equals(b.get(i).container()) || !Arrays.equals(a.get(i).bytes(), b.get(i).bytes())) {
                return false;
            }
        }
        return true;
    }

    private static String places(List<ClassSet.Copy> copies) {
        return copies.stream().map(ClassSet.Copy::container).collect(Collectors.joining(" and "));
    }

    private static String count(Collection<String> classes) {
        return classes.size() == 1 ? "a class is" : classes.size() + " classes are";
    }

    private static String shown(Collection<String> classes) {
        // escaped: an unchanged class the patch leaves alone may hold any name (FlawedClasses)
        return classes.stream().limit(SHOWN).map(n -> Text.clean(BuildDiff.dotted(n))).collect(Collectors.joining(", "))
                + (classes.size() > SHOWN ? " and " + (classes.size() - SHOWN) + " more" : "");
    }
}
