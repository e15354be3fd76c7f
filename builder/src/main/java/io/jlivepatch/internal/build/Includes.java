package io.jlivepatch.internal.build;

import io.jlivepatch.internal.Text;

import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * {@code --include} patterns that match no class: a typo, or the wrong build, that would
 * otherwise read as "nothing changed". Each pattern must match a class of one of the builds.
 */
final class Includes {

    /** Packages named in the message, at most: an application may have hundreds. */
    private static final int MAX_PACKAGES = 12;

    private Includes() {
    }

    static void check(List<String> patterns, ClassSet oldBuild, ClassSet newBuild) {
        for (String p : patterns) {
            var matches = BuildDiff.includes(List.of(p));
            boolean any = oldBuild.classes().keySet().stream().anyMatch(n -> matches.test(BuildDiff.dotted(n)))
                    || newBuild.classes().keySet().stream().anyMatch(n -> matches.test(BuildDiff.dotted(n)));
            if (!any) {
                throw new IllegalArgumentException("--include '" + p + "' matched no class of the old build (its"
                        + " classes are in " + packages(oldBuild) + "): give a binary class name, * matching any"
                        + " characters, e.g. 'com.acme.*'");
            }
        }
    }

    static String quoted(List<String> patterns) {
        return patterns.stream().map(p -> "'" + p + "'").collect(Collectors.joining(" "));
    }

    private static String packages(ClassSet build) {
        TreeSet<String> packages = new TreeSet<>();
        for (String name : build.classes().keySet()) {
            int slash = name.lastIndexOf('/');
            packages.add(slash < 0 ? "the unnamed package" : name.substring(0, slash).replace('/', '.'));
        }
        // escaped: a class the patch leaves alone may hold any name (FlawedClasses)
        String shown = Text.clean(packages.stream().limit(MAX_PACKAGES).collect(Collectors.joining(", ")));
        return (packages.size() == 1 ? "package: " : "packages: ") + shown
                + (packages.size() > MAX_PACKAGES ? " and " + (packages.size() - MAX_PACKAGES) + " more" : "");
    }
}
