package io.jlivepatch.build;

import io.jlivepatch.PatchBuild;
import io.jlivepatch.build.Differential.Outcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Changes at the edge of what a method patch can carry ({@code build-corpus/limits}). Each must
 * either behave exactly as the new build (the check of {@link BuildDifferentialTest}) or, where a
 * test says so, be refused cleanly, by build or by load, naming what it cannot carry; never may a
 * patch be accepted and then run otherwise than the new build. A disabled test names a bug.
 */
class BuildLimitsTest {

    @TempDir
    Path dir;

    @AfterEach
    void removePatches() throws Exception {
        Patching.removeAll();
    }

    private Outcome check(String name, String mayRefuseNaming) throws Exception {
        List<String> expected = Differential.newBuilds("limits", List.of(name)).get(name);
        Path oldBuild = Corpus.build("limits", name, "old");
        ClassLoader app = Patching.onSystemClassPath("old-" + name, oldBuild);
        return Differential.checkOrRefused(name, oldBuild, Corpus.build("limits", name, "new"), expected, app, dir,
                mayRefuseNaming);
    }

    /** In an application server, a Spring Boot JAR, ...: not the class loader (and unnamed module) of jlivepatch. */
    @Test
    void aPatchLoadsIntoAnApplicationInAClassLoaderOfItsOwn() throws Exception {
        String name = "ownloader";
        List<String> expected = Differential.newBuilds("limits", List.of(name)).get(name);
        ClassLoader app = Patching.appLoader("old-" + name, Corpus.build("limits", name, "old"));
        Differential.check("limits", name, expected, app, dir);
    }

    @Test
    @EnabledForJreRange(max = JRE.JAVA_22)
    void aLambdaOfAPackagePrivateFunctionalInterfaceWorksOrIsRefusedAtLoadBeforeJdk23() throws Exception {
        Differential.failUnless(check("lambdaiface", "com.acme.lambdaiface.Transform"),
                Outcome.IDENTICAL, Outcome.REFUSED_BY_LOAD);
    }

    /** From JDK 23 the lambda is made by LambdaMetafactory itself (Dispatch.lambda), which takes any interface. */
    @Test
    @EnabledForJreRange(min = JRE.JAVA_23)
    void aLambdaOfAPackagePrivateFunctionalInterface() throws Exception {
        assertEquals(Outcome.IDENTICAL, check("lambdaiface", null));
    }

    /** Box$Label's constructor is private: the running Box's nest does not list it. */
    @Test
    void aPrivateNestedClassOnlyTheNewBuildHasWorksOrIsRefusedByBuild() throws Exception {
        Differential.failUnless(check("nestedprivate", "com.acme.nestedprivate.Box$Label"),
                Outcome.IDENTICAL, Outcome.REFUSED_BY_BUILD);
    }

    /** The same with a method reference: a handle of Box's private shout, which the new class may not take. */
    @Test
    void aNewNestedClassTakingAReferenceToAPrivateMethodOfItsHostWorksOrIsRefusedByBuild() throws Exception {
        Differential.failUnless(check("nestedprivateref", "com.acme.nestedprivateref.Box$Formatter"),
                Outcome.IDENTICAL, Outcome.REFUSED_BY_BUILD);
    }

    @Test
    void aPackagePrivateNestedClassOnlyTheNewBuildHas() throws Exception {
        assertEquals(Outcome.IDENTICAL, check("nestedpackage", null));
    }

    @Test
    void aSwitchOnAnEnumInTheNewCode() throws Exception {
        assertEquals(Outcome.IDENTICAL, check("enumswitch", null));
    }

    /**
     * An added method that overrides an inherited one cannot be carried: the running class's method
     * table lacks it, so every virtual call (the superclass's own describe() here) runs the inherited one.
     */
    @Test
    void anAddedOverrideOfAnInheritedMethodWorksOrIsRefusedByBuild() throws Exception {
        Differential.failUnless(check("addedoverride", "com.acme.addedoverride.Square.label()Ljava/lang/String;"),
                Outcome.IDENTICAL, Outcome.REFUSED_BY_BUILD);
    }

    /**
     * A method the new build adds is called in the copy directly, not virtually: a subclass that
     * declares it already (Circle.label) would be passed over.
     */
    @Test
    void anAddedMethodThatASubclassOverridesWorksOrIsRefusedByBuild() throws Exception {
        Differential.failUnless(check("overriddenadded", "com.acme.overriddenadded.Shape.label()Ljava/lang/String;"),
                Outcome.IDENTICAL, Outcome.REFUSED_BY_BUILD);
    }

    /**
     * An added field that the constructor sets on one branch only starts as the type's default on
     * the others: one initial value for every object cannot carry it.
     */
    @Test
    void anAddedFieldSetInABranchOfTheConstructorWorksOrIsRefusedByBuild() throws Exception {
        Differential.failUnless(check("fieldinitbranch", "com.acme.fieldinitbranch.Account"),
                Outcome.IDENTICAL, Outcome.REFUSED_BY_BUILD);
    }

    /**
     * A new subclass of a sealed class that the running class does not permit cannot be defined: the
     * build does not compare permitted subclasses, and load refuses it (INVALID_PATCH, naming Circle)
     * with nothing registered and the old code running.
     */
    @Test
    void aNewSubclassOfASealedClassWorksOrIsRefused() throws Exception {
        // by the build, which names the sealed class (load refused it too, advising a build against the
        // running application, which could not help)
        Differential.failUnless(check("sealednew", "com.acme.sealednew.Circle"), Outcome.REFUSED_BY_BUILD);
        List<String> problems = PatchBuild.compare(Corpus.build("limits", "sealednew", "old"),
                Corpus.build("limits", "sealednew", "new")).report().problems();
        assertTrue(problems.contains("com.acme.sealednew.Shape: permitted subclasses of a sealed class changed from"
                + " [com.acme.sealednew.Square] to [com.acme.sealednew.Square, com.acme.sealednew.Circle]: the running"
                + " class permits only its own, and a method patch cannot change the class hierarchy; deploy the change"
                + " with a restart"), problems.toString());
    }

    /**
     * A new class is carried as it is: its call of Host.decorate, which the new build adds to Host,
     * names a method the running Host does not have (only the carried copy does). Load refuses it
     * when Host is loaded; when it is not yet (a start-up patch), the patch loaded and every call
     * threw NoSuchMethodError.
     */
    @Test
    void aNewClassCallingAMethodAddedToARunningClassWorksOrIsRefusedByBuild() throws Exception {
        Differential.failUnless(check("newclasscallsadded", "com.acme.newclasscallsadded.Host.decorate"),
                Outcome.IDENTICAL, Outcome.REFUSED_BY_BUILD);
    }

    /**
     * A carried class stays in the application's loader after its patch is gone (a loader cannot
     * forget a class): a later patch that carries another version of it must not run the first one.
     */
    @Test
    void aSecondPatchCarryingAnotherVersionOfANewClassWorksOrIsRefusedAtLoad() throws Exception {
        String name = "newclasstwice";
        Path oldBuild = Corpus.build("limits", name, "old");
        ClassLoader app = Patching.onSystemClassPath("old-" + name, oldBuild);
        List<String> first = Differential.newBuilds("limits", List.of(name)).get(name);
        Differential.check(name, oldBuild, Corpus.build("limits", name, "new"), first, app, dir);

        Path second = Corpus.build("limits", name, "new2");
        List<String> expected = DriverRunner.runInFreshJvm(Map.of(name, second)).get(name);
        Differential.failUnless(Differential.checkOrRefused(name, oldBuild, second, expected, app,
                Files.createDirectories(dir.resolve("second")), "com.acme.newclasstwice.Escaper"),
                Outcome.IDENTICAL, Outcome.REFUSED_BY_LOAD);
    }
}
