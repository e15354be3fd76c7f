package io.jlivepatch.internal.build;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;

/**
 * The classes a multi-release JAR holds for later Javas ({@code META-INF/versions/<n>/}), which
 * the JVM runs there instead of the base class the build compares. Where one differs between the
 * builds, the change runs on those Javas and no method patch made from the base classes carries
 * it: refused, rather than left out of the report and the patch.
 */
final class VersionedClasses {

    private VersionedClasses() {
    }

    static List<String> problems(ClassSet oldBuild, ClassSet newBuild, Predicate<String> include) {
        Set<String> entries = new TreeSet<>(oldBuild.versioned().keySet());
        entries.addAll(newBuild.versioned().keySet());
        List<String> problems = new ArrayList<>();
        for (String entry : entries) {
            int nested = entry.lastIndexOf("!/");
            Matcher m = ArchiveReader.VERSIONED.matcher(nested < 0 ? entry : entry.substring(nested + 2));
            if (!m.matches()) {
                continue;
            }
            String cls = m.group(2).substring(0, m.group(2).length() - ".class".length()).replace('/', '.');
            byte[] before = oldBuild.versioned().get(entry);
            byte[] after = newBuild.versioned().get(entry);
            if (include.test(cls) && !Arrays.equals(before, after)) {
                problems.add(cls + ": its multi-release class " + entry + " " + (before == null ? "is new"
                        : after == null ? "is removed" : "changed") + ", and Java " + m.group(1) + " and later run"
                        + " it instead of the base class this build compares: a method patch cannot carry that"
                        + " change; leave the class out (--include) and ship the change with a restart");
            }
        }
        return problems;
    }
}
