package io.jlivepatch.build;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The differential test of {@code jlivepatch build}: for every supported pair of the corpus
 * ({@code build-corpus/supported}), each input runs against the new build in a fresh JVM, and
 * against the old build in this JVM with the generated patch loaded and enabled. Results,
 * exceptions (class and message) included, must be identical; disabling the patch must bring back
 * exactly what the old build did before.
 *
 * <p>The old builds are put on the system class path, as a service's classes usually are (see
 * {@link BuildLimitsTest#aPatchLoadsIntoAnApplicationInAClassLoaderOfItsOwn} for another loader).
 */
class BuildDifferentialTest {

    private static Map<String, List<String>> newBuild;

    @TempDir
    Path dir;

    static List<String> supportedCases() {
        return Corpus.cases("supported");
    }

    @BeforeAll
    static void runTheNewBuildsInAFreshJvm() throws Exception {
        newBuild = Differential.newBuilds("supported", supportedCases());
    }

    @AfterEach
    void removePatches() throws Exception {
        Patching.removeAll();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("supportedCases")
    void theOldBuildWithThePatchBehavesExactlyAsTheNewBuild(String name) throws Exception {
        ClassLoader app = Patching.onSystemClassPath("old-" + name, Corpus.build("supported", name, "old"));
        Differential.check("supported", name, newBuild.get(name), app, dir);
    }

    @Test
    void aBuildCompiledForJava8BeforeNestmates() throws Exception {
        Path oldBuild = Corpus.build("other", "java8", "old", Corpus.JAVA_8);
        Path newBuild = Corpus.build("other", "java8", "new", Corpus.JAVA_8);
        List<String> expected = DriverRunner.runInFreshJvm(Map.of("java8", newBuild)).get("java8");
        ClassLoader app = Patching.onSystemClassPath("old-java8", oldBuild);
        Differential.check("java8", oldBuild, newBuild, expected, app, dir);
    }
}
