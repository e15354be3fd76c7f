package io.jlivepatch.build;

import io.jlivepatch.BuildReport;
import io.jlivepatch.PatchBuild;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.format.ClassDigest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dry run, what a generated patch records about the builds it was made from, and the refusal
 * to load it into an application whose target classes are another version than its old build.
 */
class BuildProvenanceTest {

    @TempDir
    Path dir;

    @AfterEach
    void removePatches() throws Exception {
        Patching.removeAll();
    }

    private static Path other(String name, String build) {
        return Corpus.build("other", name, build);
    }

    @Test
    void theDryRunReportsInKpatchBuildsWordsAndWritesNothing() throws Exception {
        Path oldBuild = Corpus.build("supported", "addedmethod", "old");
        Path newBuild = Corpus.build("supported", "addedmethod", "new");
        Map<String, byte[]> before = Corpus.classFiles(oldBuild);
        Map<String, byte[]> beforeNew = Corpus.classFiles(newBuild);
        BuildReport r = PatchBuild.compare(oldBuild, newBuild).name("fix-greet").report();
        assertEquals(List.of(
                "changed function: com.acme.addedmethod.Greeter.greet(Ljava/lang/String;)Ljava/lang/String;",
                "new function: com.acme.addedmethod.Greeter.capitalize(Ljava/lang/String;)Ljava/lang/String;",
                "new function: com.acme.addedmethod.Greeter.decorate(Ljava/lang/String;)Ljava/lang/String;",
                "1 changed, 2 new function(s), 0 new class(es)"), r.lines());
        assertFalse(r.refused());
        // nothing written beside or into the inputs
        assertEquals(before.keySet(), Corpus.classFiles(oldBuild).keySet());
        assertEquals(beforeNew.keySet(), Corpus.classFiles(newBuild).keySet());
        try (Stream<Path> s = Files.list(oldBuild.getParent().getParent())) {
            assertTrue(s.noneMatch(p -> p.toString().endsWith(".jar")), "no JAR beside the inputs");
        }
    }

    @Test
    void theManifestRecordsTheSha256OfBothInputJars() throws Exception {
        Path oldJar = Corpus.jar(Corpus.build("supported", "body", "old"), dir.resolve("app-1.0.jar"));
        Path newJar = Corpus.jar(Corpus.build("supported", "body", "new"), dir.resolve("app-1.0-fixed.jar"));
        Path out = dir.resolve("fix-price.jar");
        BuildReport r = PatchBuild.compare(oldJar, newJar).name("fix-price").writeTo(out);
        assertFalse(r.refused(), r.lines().toString());
        try (JarFile f = new JarFile(out.toFile())) {
            Attributes a = f.getManifest().getMainAttributes();
            assertEquals(Corpus.sha256(Files.readAllBytes(oldJar)), a.getValue("Livepatch-Old-Build-SHA256"));
            assertEquals(Corpus.sha256(Files.readAllBytes(newJar)), a.getValue("Livepatch-New-Build-SHA256"));
            assertEquals("jlivepatch build", a.getValue("Created-By"));

            Properties digests = new Properties();
            digests.load(new StringReader(new String(f.getInputStream(
                    f.getEntry("META-INF/jlivepatch/old-classes.properties")).readAllBytes(), StandardCharsets.ISO_8859_1)));
            byte[] oldPricing = Corpus.classFiles(Corpus.build("supported", "body", "old")).get("com/acme/body/Pricing");
            assertEquals(Map.of("com.acme.body.Pricing", ClassDigest.of(oldPricing)), Map.copyOf(digests));

            Properties fileDigests = new Properties();
            fileDigests.load(new StringReader(new String(f.getInputStream(
                    f.getEntry("META-INF/jlivepatch/old-class-files.properties")).readAllBytes(),
                    StandardCharsets.ISO_8859_1)));
            assertEquals(Map.of("com.acme.body.Pricing", Corpus.sha256(oldPricing)), Map.copyOf(fileDigests));
        }
    }

    /** A copy of {@code jar} without {@code entry}: a patch JAR as builds before it was recorded wrote it. */
    private Path without(Path jar, String entry) throws Exception {
        Path out = dir.resolve("without-" + jar.getFileName());
        try (JarFile in = new JarFile(jar.toFile());
             JarOutputStream o = new JarOutputStream(Files.newOutputStream(out), in.getManifest())) {
            boolean found = false;
            for (JarEntry e : java.util.Collections.list(in.entries())) {
                if (e.getName().equals(entry)) {
                    found = true;
                } else if (!e.getName().equals(JarFile.MANIFEST_NAME)) {
                    o.putNextEntry(new JarEntry(e.getName()));
                    o.write(in.getInputStream(e).readAllBytes());
                }
            }
            assertTrue(found, entry + " in " + jar);
        }
        return out;
    }

    @Test
    void aPatchWithoutClassFileHashesIsCheckedOnItsNormalizedDigestAlone() throws Exception {
        // release 1.1 runs; a patch from 1.0 made before the class files' hashes were recorded
        ClassLoader app = Patching.onSystemClassPath("mismatch-1.1-old-jar", other("mismatch", "v11"));
        List<String> running = DriverRunner.run(app, "mismatch");
        Path built = dir.resolve("fix-resolve.jar");
        assertFalse(PatchBuild.compare(other("mismatch", "old"), other("mismatch", "new")).name("fix-resolve")
                .writeTo(built).refused());
        Path out = without(built, "META-INF/jlivepatch/old-class-files.properties");
        PatchException e = assertThrows(PatchException.class, () -> Patching.lp().load(out));
        assertEquals(PatchException.Reason.SIGNATURE_MISMATCH, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("built against another version of com.acme.mismatch.Files"), e.getMessage());
        assertEquals(List.of(), Patching.lp().patches(), "nothing registered");
        assertEquals(running, DriverRunner.run(app, "mismatch"), "nothing patched");

        // the same version, its class file byte for byte the old build's: accepted as before
        ClassLoader same = Patching.appLoader("body-old", Corpus.build("supported", "body", "old"));
        List<String> before = DriverRunner.run(same, "body");
        Path body = dir.resolve("fix-price.jar");
        assertFalse(PatchBuild.compare(Corpus.build("supported", "body", "old"), Corpus.build("supported", "body", "new"))
                .name("fix-price").writeTo(body).refused());
        PatchHandle h = Patching.lp().load(without(body, "META-INF/jlivepatch/old-class-files.properties"));
        Patching.enable(h);
        assertFalse(before.equals(DriverRunner.run(same, "body")), "patched: " + before);
    }

    @Test
    void forClassDirectoriesTheManifestRecordsTheSha256OfTheirSortedClassFiles() throws Exception {
        Path oldBuild = Corpus.build("supported", "body", "old");
        Path newBuild = Corpus.build("supported", "body", "new");
        Path out = dir.resolve("fix.jar");
        PatchBuild.compare(oldBuild, newBuild).name("fix").writeTo(out);
        try (JarFile f = new JarFile(out.toFile())) {
            Attributes a = f.getManifest().getMainAttributes();
            assertEquals(directoryDigest(oldBuild), a.getValue("Livepatch-Old-Build-SHA256"));
            assertEquals(directoryDigest(newBuild), a.getValue("Livepatch-New-Build-SHA256"));
            assertFalse(a.getValue("Livepatch-Old-Build-SHA256").equals(a.getValue("Livepatch-New-Build-SHA256")));
        }
    }

    /** SHA-256 over (internal name, class file) of every class, in name order. */
    private static String directoryDigest(Path classes) throws Exception {
        List<byte[]> parts = new java.util.ArrayList<>();
        Corpus.classFiles(classes).forEach((name, bytes) -> {
            parts.add(name.getBytes(StandardCharsets.UTF_8));
            parts.add(bytes);
        });
        return Corpus.sha256(parts.toArray(new byte[0][]));
    }

    @Test
    void theSameInputsGiveTheSameJar() throws Exception {
        Path a = dir.resolve("a.jar");
        Path b = dir.resolve("b.jar");
        for (Path out : List.of(a, b)) {
            PatchBuild.compare(Corpus.build("supported", "lambda", "old"), Corpus.build("supported", "lambda", "new"))
                    .name("fix-lambda").description("d").writeTo(out);
        }
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void aPatchForOneReleaseIsRefusedOnAnotherAndChangesNothing() throws Exception {
        // the running application is release 1.1; the patch was built from 1.0 and 1.0-fixed
        ClassLoader app = Patching.onSystemClassPath("mismatch-1.1", other("mismatch", "v11"));
        List<String> running = DriverRunner.run(app, "mismatch");
        Path out = dir.resolve("fix-resolve.jar");
        assertFalse(PatchBuild.compare(other("mismatch", "old"), other("mismatch", "new")).name("fix-resolve")
                .writeTo(out).refused());

        PatchException e = assertThrows(PatchException.class, () -> Patching.lp().load(out));
        assertEquals(PatchException.Reason.SIGNATURE_MISMATCH, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("built against another version of com.acme.mismatch.Files"), e.getMessage());
        assertEquals(List.of(), Patching.lp().patches(), "nothing registered");
        assertEquals(running, DriverRunner.run(app, "mismatch"), "nothing patched");
    }

    @Test
    void aPatchIsCheckedOnBehaviourNotOnDebugInformation() throws Exception {
        // the running classes were compiled without any debug information, the patch's old build with it
        ClassLoader app = Patching.onSystemClassPath("debuginfo", Corpus.build("other", "debuginfo", "old",
                Corpus.NO_DEBUG));
        assertEquals(List.of("'3' => ok: value 3", "'-3' => ok: value -3"), DriverRunner.run(app, "debuginfo"));
        Path out = dir.resolve("fix-clamp.jar");
        assertFalse(PatchBuild.compare(other("debuginfo", "old"), other("debuginfo", "new")).name("fix-clamp")
                .writeTo(out).refused());
        PatchHandle h = Patching.lp().load(out);
        Patching.enable(h);
        assertEquals(List.of("'3' => ok: value 3", "'-3' => ok: value 0"), DriverRunner.run(app, "debuginfo"));
    }

    @Test
    void whatDoesNotChangeBehaviourIsNoChange() throws Exception {
        // reformatted, renamed locals, methods in another order
        assertNothingToPatch(other("cosmetic", "old"), other("cosmetic", "new"));
        // the same sources with and without debug information
        assertNothingToPatch(Corpus.build("supported", "trycatch", "new"),
                Corpus.build("supported", "trycatch", "new", Corpus.NO_DEBUG));
        assertNothingToPatch(Corpus.build("supported", "lambda", "old", Corpus.NO_LOCALS),
                Corpus.build("supported", "lambda", "old", Corpus.NO_DEBUG));
    }

    /** A framework reads the running class's annotations, which no patch changes: the report says so. */
    @Test
    void changedAnnotationsAreNotedAsNotCarried() throws Exception {
        BuildReport r = PatchBuild.compare(other("annotations", "old"), other("annotations", "new")).report();
        assertEquals(List.of("com.acme.annotations.Account.owner()Ljava/lang/String;"), r.changedFunctions());
        assertEquals(List.of("com.acme.annotations.Account.statement()Ljava/lang/String;: annotations changed: the"
                + " running class keeps its own, so what reads them (a framework, reflection) sees the old ones; the"
                + " patch carries code only"), r.notes());
    }

    private void assertNothingToPatch(Path oldBuild, Path newBuild) throws Exception {
        BuildReport dry = PatchBuild.compare(oldBuild, newBuild).report();
        assertEquals(List.of("0 changed, 0 new function(s), 0 new class(es)"), dry.lines());
        Path out = dir.resolve("nothing.jar");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PatchBuild.compare(oldBuild, newBuild).name("nothing").writeTo(out));
        assertEquals("no method changed between " + oldBuild + " and " + newBuild + ": there is nothing to patch",
                e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void includeNarrowsTheComparisonAndRemovedClassesAreNotedAndLeftAlone() throws Exception {
        Path oldJar = Corpus.jar(other("include", "old"), dir.resolve("old.jar"));
        Path newJar = Corpus.jar(other("include", "new"), dir.resolve("new.jar"));
        Path out = dir.resolve("fix.jar");

        BuildReport all = PatchBuild.compare(oldJar, newJar).name("fix").writeTo(out);
        assertEquals(List.of("com.acme.include.legacy.Store.size: field type changed from I to J: a method patch"
                + " cannot change an object's layout; keep new state in a shadow variable instead (io.jlivepatch.Shadow: see \"Shadow"
                + " variables\" in the README)"), all.problems());
        assertFalse(Files.exists(out));

        BuildReport app = PatchBuild.compare(oldJar, newJar).name("fix").include("com.acme.include.app.*").writeTo(out);
        assertEquals(List.of(
                "changed function: com.acme.include.app.Greeting.text(Ljava/lang/String;)Ljava/lang/String;",
                "note: removed class: com.acme.include.app.Obsolete (left alone: the running code keeps it)",
                "1 changed, 0 new function(s), 0 new class(es)"), app.lines());
        try (JarFile f = new JarFile(out.toFile())) {
            assertEquals("com.acme.include.app.Greeting$$Livepatch", f.getManifest().getMainAttributes()
                    .getValue("Livepatch-Class"));
        }

        // several patterns; a pattern is a whole binary name, * matching anything
        assertEquals(2, PatchBuild.compare(oldJar, newJar).include("com.acme.include.app.Greeting")
                .include("*.Store").report().changedFunctions().size());
        // a pattern that matches no class is refused, naming the packages there are
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> PatchBuild.compare(oldJar, newJar).include("com.acme.include.app").report());
        assertTrue(none.getMessage().startsWith("--include 'com.acme.include.app' matched no class of the old build"
                + " (its classes are in packages: com.acme.include.app, com.acme.include.legacy)"), none.getMessage());
    }

    /**
     * A class named by --include comes with its nested classes (its source file's): a change there
     * was left out without a word, and with only the nested class changed the build found nothing to patch.
     */
    @Test
    void includeOfAClassTakesItsNestedClasses() throws Exception {
        Path oldJar = Corpus.jar(other("includenested", "old"), dir.resolve("old.jar"));
        Path newJar = Corpus.jar(other("includenested", "new"), dir.resolve("new.jar"));
        BuildReport r = PatchBuild.compare(oldJar, newJar).include("com.acme.includenested.Outer").report();
        assertEquals(List.of("com.acme.includenested.Outer$Inner.label()Ljava/lang/String;"), r.changedFunctions());
        // a pattern that names the nested class alone still takes it alone
        assertEquals(1, PatchBuild.compare(oldJar, newJar).include("com.acme.includenested.Outer$Inner").report()
                .changedFunctions().size());
    }
}
