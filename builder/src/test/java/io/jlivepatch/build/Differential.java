package io.jlivepatch.build;

import io.jlivepatch.BuildReport;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchBuild;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The differential check of one corpus case; the caller removes the patch afterwards. */
final class Differential {

    /** How a check ended. */
    enum Outcome { IDENTICAL, REFUSED_BY_BUILD, REFUSED_BY_LOAD }

    private Differential() {
    }

    /** What the new build of each case gives, all run in one fresh JVM. */
    static Map<String, List<String>> newBuilds(String kind, List<String> names) throws Exception {
        Map<String, Path> cases = new LinkedHashMap<>();
        for (String c : names) {
            cases.put(c, Corpus.build(kind, c, "new"));
        }
        return DriverRunner.runInFreshJvm(cases);
    }

    /**
     * Builds the patch from the case's old and new builds, runs the inputs on the old build as it
     * is, with the patch enabled (which must give {@code expected}, the new build's results) and
     * with the patch disabled again (which must give the first results).
     *
     * @param app the loader the old build is in
     */
    static void check(String kind, String name, List<String> expected, ClassLoader app, Path dir) throws Exception {
        check(name, Corpus.build(kind, name, "old"), Corpus.build(kind, name, "new"), expected, app, dir);
    }

    /** The same for builds compiled otherwise. */
    static void check(String name, Path oldBuild, Path newBuild, List<String> expected, ClassLoader app, Path dir)
            throws Exception {
        checkOrRefused(name, oldBuild, newBuild, expected, app, dir, null);
    }

    /**
     * The same, except that the change may also be refused cleanly: by {@code build}, with a problem
     * line naming {@code mustName} and no file written, or by {@code load}, with a message naming
     * it, nothing registered and the old behaviour intact. What it may never be is a patch that
     * runs otherwise than the new build.
     *
     * @param mustName what a refusal must name; {@code null}: no refusal allowed
     */
    static Outcome checkOrRefused(String name, Path oldBuild, Path newBuild, List<String> expected, ClassLoader app,
                                  Path dir, String mustName) throws Exception {
        Path patchJar = dir.resolve("fix-" + name + ".jar");
        BuildReport report = PatchBuild.compare(oldBuild, newBuild)
                .name("fix-" + name).description("the " + name + " change").writeTo(patchJar);
        if (report.refused()) {
            assertNotNull(mustName, String.join("\n", report.lines()));
            assertTrue(report.problems().stream().anyMatch(p -> p.contains(mustName)), String.join("\n", report.lines()));
            assertFalse(Files.exists(patchJar));
            return Outcome.REFUSED_BY_BUILD;
        }
        assertFalse(expected.isEmpty(), "the fresh JVM ran no input of " + name);

        List<String> unpatched = DriverRunner.run(app, name);
        assertNotEquals(expected, unpatched, "the change should be visible: the old and new builds behave alike");

        int registered = Patching.lp().patches().size();
        PatchHandle h;
        try {
            h = Patching.lp().load(patchJar);
        } catch (PatchException e) {
            if (mustName == null) {
                throw e;
            }
            assertTrue(e.getMessage().contains(mustName), e.getMessage());
            assertEquals(registered, Patching.lp().patches().size(), "a refused load registers nothing");
            assertEquals(unpatched, DriverRunner.run(app, name), "a refused load changes nothing");
            return Outcome.REFUSED_BY_LOAD;
        }
        for (Patch.Replacement f : h.patch().replacements()) {
            // private access without reflection: each replacement is in a hidden nestmate of its target
            Class<?> carrier = f.replacement().getDeclaringClass();
            assertTrue(carrier.isHidden(), carrier + " should be a hidden class");
            Class<?> target = Class.forName(f.className(), false, carrier.getClassLoader());
            assertEquals(target.getNestHost(), carrier.getNestHost(), carrier + " should be a nestmate of " + target);
        }
        Patching.enable(h);
        assertEquals(String.join("\n", expected), String.join("\n", DriverRunner.run(app, name)),
                "the old build with the patch must behave exactly as the new build");

        Patching.disable(h);
        assertEquals(String.join("\n", unpatched), String.join("\n", DriverRunner.run(app, name)),
                "with the patch disabled the old behaviour must be back");
        h.unregister();
        assertEquals(String.join("\n", unpatched), String.join("\n", DriverRunner.run(app, name)),
                "after unregister the old behaviour stays");
        return Outcome.IDENTICAL;
    }

    static void failUnless(Outcome actual, Outcome... allowed) {
        if (!List.of(allowed).contains(actual)) {
            fail("ended " + actual + ", expected one of " + List.of(allowed));
        }
    }
}
