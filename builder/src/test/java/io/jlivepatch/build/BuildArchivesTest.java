package io.jlivepatch.build;

import io.jlivepatch.BuildReport;
import io.jlivepatch.PatchBuild;
import io.jlivepatch.internal.format.ClassDigest;
import io.jlivepatch.internal.jar.PatchJar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code build} on the archives people ship: Spring Boot fat JARs (and their nested libraries),
 * WARs, plain JARs, {@code *.jar.original} and extracted directories give the same report under
 * the same class names as the class directories they were made of, the dry run and the real build
 * always agree, and a damaged entry or an ambiguous duplicate class is refused by name.
 */
class BuildArchivesTest {

    private static final List<String> KINDS = List.of("supported", "refused", "other", "limits");

    @TempDir
    Path dir;

    /** One way to ship a build of a corpus case. */
    private interface Shipping {
        Path ship(String caseName, Path classes, Path out) throws IOException;
    }

    private static Map<String, Shipping> layouts() {
        Map<String, Shipping> m = new LinkedHashMap<>();
        m.put("jar", (c, classes, out) -> Corpus.jar(classes, out.resolve("app.jar")));
        m.put("jar.original", (c, classes, out) -> Corpus.jar(classes, out.resolve("app.jar.original")));
        m.put("boot", (c, classes, out) -> Archives.bootJar(out.resolve("app.jar"), classes,
                Map.of("lib-1.0.jar", library(c)), "com.acme." + c + ".Driver"));
        m.put("war", (c, classes, out) -> Archives.war(out.resolve("app.war"), classes, Map.of("lib-1.0.jar", library(c))));
        m.put("boot-extracted", (c, classes, out) -> Archives.extract(Archives.bootJar(out.resolve("app.jar"), classes,
                Map.of("lib-1.0.jar", library(c)), "com.acme." + c + ".Driver"), out.resolve("extracted")));
        return m;
    }

    /** An unchanged library beside a case: another case's old build. */
    private static Path library(String caseName) {
        return Corpus.build("supported", caseName.equals("body") ? "staticmethod" : "body", "old");
    }

    @Test
    void everyCorpusPairGivesTheSameReportAndPatchInEveryLayoutAndTheDryRunAgrees() throws Exception {
        int pairs = 0;
        for (String kind : KINDS) {
            for (String c : Corpus.cases(kind)) {
                Path oldClasses;
                Path newClasses;
                try {
                    oldClasses = Corpus.build(kind, c, "old");
                    newClasses = Corpus.build(kind, c, "new");
                } catch (IllegalArgumentException noSuchBuild) {
                    continue; // a case of other builds than old and new
                }
                pairs++;
                Path base = Files.createDirectories(dir.resolve(kind + "-" + c));
                Outcome reference = outcome(oldClasses, newClasses, base.resolve("dir.jar"));
                for (Map.Entry<String, Shipping> layout : layouts().entrySet()) {
                    Path o = layout.getValue().ship(c, oldClasses, Files.createDirectories(base.resolve(layout.getKey()
                            + "-old")));
                    Path n = layout.getValue().ship(c, newClasses, Files.createDirectories(base.resolve(layout.getKey()
                            + "-new")));
                    String what = kind + "/" + c + " as " + layout.getKey();
                    Outcome shipped = outcome(o, n, base.resolve(layout.getKey() + ".jar"));
                    assertEquals(reference.text(oldClasses, newClasses), shipped.text(o, n), what);
                    assertEquals(reference.entries, shipped.entries, what + ": the patch JAR's entries");
                    assertEquals(reference.manifest, shipped.manifest, what + ": the patch JAR's manifest");
                }
            }
        }
        assertTrue(pairs > 40, "the corpus has its pairs: " + pairs);
    }

    /**
     * The dry run and the real build of one pair, which must agree: the same report or the same
     * refusal. The patch JAR's entries, and its manifest but for the builds' digests.
     */
    private record Outcome(String report, Map<String, String> entries, Map<String, String> manifest) {
        String text(Path oldBuild, Path newBuild) {
            return report.replace(newBuild.toString(), "<new>").replace(oldBuild.toString(), "<old>");
        }
    }

    private Outcome outcome(Path oldBuild, Path newBuild, Path out) throws IOException {
        String dry = run(() -> PatchBuild.compare(oldBuild, newBuild).dryRun());
        String real = run(() -> PatchBuild.compare(oldBuild, newBuild).name("fix").writeTo(out));
        assertEquals(dry, real, "the dry run and the real build of " + oldBuild + " and " + newBuild);
        Map<String, String> entries = new TreeMap<>();
        Map<String, String> manifest = new TreeMap<>();
        if (Files.exists(out)) {
            try (JarFile jar = new JarFile(out.toFile())) {
                for (var e : (Iterable<java.util.jar.JarEntry>) jar.stream()::iterator) {
                    if (!e.getName().equals(JarFile.MANIFEST_NAME)) {
                        entries.put(e.getName(), Corpus.sha256(jar.getInputStream(e).readAllBytes()));
                    }
                }
                jar.getManifest().getMainAttributes().forEach((k, v) -> manifest.put(k.toString(), v.toString()));
                assertEquals(64, manifest.remove(PatchJar.OLD_BUILD).length());
                assertEquals(64, manifest.remove(PatchJar.NEW_BUILD).length());
            }
        } else {
            assertTrue(dry.startsWith("refused") || dry.contains("cannot be live patched"), "no patch JAR: " + dry);
        }
        return new Outcome(String.join("\n", Archives.withoutLayoutNotes(Arrays.asList(dry.split("\n")))), entries,
                manifest);
    }

    private interface Build {
        BuildReport run() throws IOException;
    }

    private static String run(Build b) {
        try {
            return String.join("\n", b.run().lines());
        } catch (IOException | IllegalArgumentException e) {
            return "refused: " + e.getMessage();
        }
    }

    @Test
    void aFatJarNamesItsClassesAsTheJvmDoesAndSaysWhatItCompared() throws Exception {
        Path oldJar = boot("old", Corpus.build("supported", "body", "old"), Map.of("lib-1.0.jar",
                Corpus.build("supported", "staticmethod", "old")));
        Path newJar = boot("new", Corpus.build("supported", "body", "new"), Map.of("lib-1.0.jar",
                Corpus.build("supported", "staticmethod", "old")));
        BuildReport r = PatchBuild.compare(oldJar, newJar).include("com.acme.body.*").dryRun();
        assertEquals(List.of("changed function: com.acme.body.Pricing.price(I)I",
                "note: " + oldJar + " is a Spring Boot fat JAR: compared 2 classes of BOOT-INF/classes and 2 of its 1"
                        + " nested JARs; the launcher's 1 classes at its root are left alone",
                "note: " + newJar + " is a Spring Boot fat JAR: compared 2 classes of BOOT-INF/classes and 2 of its 1"
                        + " nested JARs; the launcher's 1 classes at its root are left alone",
                "1 changed, 0 new function(s), 0 new class(es)"), r.lines());
        // the patch records the fat JARs it was made from, and the class file that runs
        Path patch = dir.resolve("fix.jar");
        PatchBuild.compare(oldJar, newJar).include("com.acme.body.*").name("fix").writeTo(patch);
        assertBuiltFrom(patch, oldJar, newJar, "com.acme.body.Pricing",
                Corpus.build("supported", "body", "old").resolve("com/acme/body/Pricing.class"));
    }

    @Test
    void aChangedLibraryClassInBootInfLibIsFoundAndPatched() throws Exception {
        Path app = Corpus.build("supported", "body", "old");
        Path oldJar = boot("old", app, Map.of("lib-1.0.jar", Corpus.build("supported", "staticmethod", "old")));
        Path newJar = boot("new", app, Map.of("lib-1.0.jar", Corpus.build("supported", "staticmethod", "new")));
        BuildReport reference = PatchBuild.compare(Corpus.build("supported", "staticmethod", "old"),
                Corpus.build("supported", "staticmethod", "new")).report();
        BuildReport r = PatchBuild.compare(oldJar, newJar).include("com.acme.staticmethod.*").dryRun();
        assertFalse(reference.changedFunctions().isEmpty());
        assertEquals(reference.changedFunctions(), r.changedFunctions());
        Path patch = dir.resolve("lib-fix.jar");
        assertFalse(PatchBuild.compare(oldJar, newJar).name("lib-fix").writeTo(patch).refused());
        assertBuiltFrom(patch, oldJar, newJar, "com.acme.staticmethod.MathUtil",
                Corpus.build("supported", "staticmethod", "old").resolve("com/acme/staticmethod/MathUtil.class"));
    }

    @Test
    void aWarComparesWebInfClassesAndWebInfLib() throws Exception {
        Path oldWar = Archives.war(Files.createDirectories(dir.resolve("old")).resolve("shop.war"),
                Corpus.build("supported", "body", "old"), Map.of("lib.jar", Corpus.build("supported", "staticmethod", "old")));
        Path newWar = Archives.war(Files.createDirectories(dir.resolve("new")).resolve("shop.war"),
                Corpus.build("supported", "body", "new"), Map.of("lib.jar", Corpus.build("supported", "staticmethod", "new")));
        BuildReport r = PatchBuild.compare(oldWar, newWar).dryRun();
        assertTrue(r.changedFunctions().contains("com.acme.body.Pricing.price(I)I"), r.lines().toString());
        assertTrue(r.changedFunctions().stream().anyMatch(f -> f.startsWith("com.acme.staticmethod.MathUtil.")),
                r.lines().toString());
        assertTrue(r.notes().contains(oldWar + " is a WAR: compared 2 classes of WEB-INF/classes and 2 of its 1 nested"
                + " JARs"), r.notes().toString());
    }

    @Test
    void aFatJarWithALaunchScriptInFrontIsRead() throws Exception {
        Path oldJar = boot("old", Corpus.build("supported", "body", "old"), Map.of());
        Path newJar = boot("new", Corpus.build("supported", "body", "new"), Map.of());
        Path script = dir.resolve("app-launch.jar");
        // what <executable>true</executable> makes: a shell script, then the JAR
        Files.write(script, concat("#!/bin/bash\nexec java -jar \"$0\" \"$@\"\n".getBytes(StandardCharsets.UTF_8),
                Files.readAllBytes(newJar)));
        assertEquals(List.of("com.acme.body.Pricing.price(I)I"),
                PatchBuild.compare(oldJar, script).dryRun().changedFunctions());
    }

    @Test
    void aDamagedEntryIsRefusedNamingTheArchiveAndTheEntryInTheDryRunAndTheRealBuild() throws Exception {
        Path good = boot("good", Corpus.build("supported", "body", "new"), Map.of());
        byte[] pricing = Files.readAllBytes(Corpus.build("supported", "body", "old").resolve("com/acme/body/Pricing.class"));

        Path corruptLib = damaged("corrupt-lib.jar", "BOOT-INF/lib/broken-2.1.jar", "not a zip at all".getBytes(
                StandardCharsets.UTF_8));
        assertRefused(corruptLib, good, "cannot read the build " + corruptLib + ": entry BOOT-INF/lib/broken-2.1.jar of "
                + corruptLib + " is not a JAR file: the build is damaged; build it again (or copy it again) and retry");

        Path truncatedHead = damaged("truncated-head.jar", "BOOT-INF/classes/com/acme/body/Pricing.class",
                Arrays.copyOf(pricing, 40));
        assertRefused(truncatedHead, good, "cannot read the build " + truncatedHead + ": entry"
                + " BOOT-INF/classes/com/acme/body/Pricing.class of " + truncatedHead + " is not a class file Java can load (");

        // cut in the methods' code, past the constant pool: found when read too, not when compared
        Path truncatedCode = damaged("truncated-code.jar", "BOOT-INF/classes/com/acme/body/Pricing.class",
                Arrays.copyOf(pricing, pricing.length - 30));
        assertRefused(good, truncatedCode, "cannot read the build " + truncatedCode + ": entry"
                + " BOOT-INF/classes/com/acme/body/Pricing.class of " + truncatedCode + " is not a class file Java can load (");

        byte[] lib = Archives.jar(Map.of("com/acme/lib/Util.class", Arrays.copyOf(pricing, 40)));
        Path badLibClass = damaged("bad-lib-class.jar", "BOOT-INF/lib/util.jar", lib);
        assertRefused(badLibClass, good, "entry BOOT-INF/lib/util.jar!/com/acme/lib/Util.class of " + badLibClass
                + " is not a class file Java can load (");

        Path halfLib = damaged("half-lib.jar", "BOOT-INF/lib/util.jar", Arrays.copyOf(lib, lib.length / 2 + 20));
        assertRefused(halfLib, good, "entry BOOT-INF/lib/util.jar of " + halfLib + " is a damaged JAR (it has no central"
                + " directory: cut short?)");

        // a local header damaged: a JAR stream would stop there quietly, with the entries before it
        byte[] twoClasses = Archives.jar(new TreeMap<>(Map.of("com/acme/body/Pricing.class", pricing,
                "com/acme/body/Copy.class", pricing)));
        byte[] badHeader = twoClasses.clone();
        int last = lastLocalHeader(badHeader);
        badHeader[last + 2] = 9;
        Path badLocal = damaged("bad-local.jar", "BOOT-INF/lib/util.jar", badHeader);
        assertRefused(badLocal, good, "entry BOOT-INF/lib/util.jar of " + badLocal + " is a damaged JAR (its central"
                + " directory lists 3 entries, 2 could be read)");

        // data inside an entry damaged
        byte[] badData = twoClasses.clone();
        for (int i = last - 200; i < last - 100; i++) {
            badData[i] = 0;
        }
        Path badInflate = damaged("bad-data.jar", "BOOT-INF/lib/util.jar", badData);
        assertRefused(badInflate, good, "entry BOOT-INF/lib/util.jar of " + badInflate + " is a damaged JAR (corrupt zip data: ");
    }

    /** A few kilobytes of deflated zeros declaring a class must not fill the heap: refused by name, read no further. */
    @Test
    void aClassEntryLargerThanAnyClassFileIsRefusedNamingIt() throws Exception {
        Path good = boot("good", Corpus.build("supported", "body", "new"), Map.of());
        byte[] bomb = new byte[(64 << 20) + 1]; // one byte past the most a class file may take
        Path plain = dir.resolve("bomb.jar");
        Files.write(plain, Archives.jar(Map.of("com/acme/body/Pricing.class", bomb)));
        assertTrue(Files.size(plain) < 1 << 20, "a small file");
        assertRefused(plain, good, "entry com/acme/body/Pricing.class of " + plain + " is larger than 64 MiB"
                + " uncompressed, more than any class file (a zip bomb?)");

        Path nested = damaged("bomb-lib.jar", "BOOT-INF/lib/util.jar", Archives.jar(Map.of("com/acme/lib/Util.class",
                bomb)));
        assertRefused(good, nested, "entry BOOT-INF/lib/util.jar!/com/acme/lib/Util.class of " + nested + " is larger"
                + " than 64 MiB uncompressed, more than any class file (a zip bomb?)");
    }

    /**
     * Java 11 and later run a multi-release JAR's META-INF/versions/11 copy of a class, which the
     * build does not compare: a change there is refused, not left out of the patch and the report.
     */
    @Test
    void aChangedClassOfAMultiReleaseJarsLaterVersionIsRefused() throws Exception {
        Map<String, byte[]> oldFiles = Archives.files(Corpus.build("supported", "body", "old"));
        Map<String, byte[]> newFiles = Archives.files(Corpus.build("supported", "body", "new"));
        String pricing = "com/acme/body/Pricing.class";
        Map<String, byte[]> oldJar = new TreeMap<>(oldFiles);
        oldJar.put("META-INF/versions/11/" + pricing, oldFiles.get(pricing));
        Map<String, byte[]> newJar = new TreeMap<>(newFiles);
        newJar.put("META-INF/versions/11/" + pricing, oldFiles.get(pricing)); // the base changed, not what runs
        Path oldBuild = dir.resolve("mr-old.jar");
        Path newBuild = dir.resolve("mr-new.jar");
        Files.write(oldBuild, multiRelease(oldJar, true));
        Files.write(newBuild, multiRelease(newJar, true));
        // only the base changed: compared and patched as ever
        assertFalse(PatchBuild.compare(oldBuild, newBuild).report().refused());

        newJar.put("META-INF/versions/11/" + pricing, newFiles.get(pricing));
        newJar.put("META-INF/versions/11/com/acme/body/Driver.class", newFiles.get("com/acme/body/Driver.class"));
        Files.write(newBuild, multiRelease(newJar, true));
        String refusal = ": its multi-release class META-INF/versions/11/com/acme/body/%s.class %s, and Java 11 and"
                + " later run it instead of the base class this build compares: a method patch cannot carry that change;"
                + " leave the class out (--include) and ship the change with a restart";
        List<String> expected = List.of("com.acme.body.Driver" + String.format(refusal, "Driver", "is new"),
                "com.acme.body.Pricing" + String.format(refusal, "Pricing", "changed"));
        assertEquals(expected, PatchBuild.compare(oldBuild, newBuild).dryRun().problems());
        Path out = dir.resolve("never.jar");
        assertTrue(PatchBuild.compare(oldBuild, newBuild).name("fix").writeTo(out).refused());
        assertFalse(Files.exists(out));
        assertEquals(List.of(expected.get(1)), PatchBuild.compare(oldBuild, newBuild).include("*Pricing").report()
                .problems().stream().filter(p -> p.contains("multi-release")).toList());

        // the same entries without Multi-Release: true are never read by the JVM
        Files.write(oldBuild, multiRelease(oldJar, false));
        Files.write(newBuild, multiRelease(newJar, false));
        assertFalse(PatchBuild.compare(oldBuild, newBuild).report().refused());

        // a library of a fat JAR: its entry named inside the nested JAR
        Path good = boot("mr-good", Corpus.build("supported", "body", "old"), Map.of());
        Path lib = damaged("mr-lib.jar", "BOOT-INF/lib/util.jar", multiRelease(Map.of(
                "META-INF/versions/17/com/acme/lib/Util.class", oldFiles.get(pricing)), true));
        assertEquals(List.of("com.acme.lib.Util: its multi-release class BOOT-INF/lib/util.jar!/META-INF/versions/17/"
                + "com/acme/lib/Util.class is new, and Java 17 and later run it instead of the base class this build"
                + " compares: a method patch cannot carry that change; leave the class out (--include) and ship the"
                + " change with a restart"), PatchBuild.compare(good, lib).report().problems());
    }

    private static byte[] multiRelease(Map<String, byte[]> entries, boolean multiRelease) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (multiRelease) {
            m.getMainAttributes().putValue("Multi-Release", "true");
        }
        try (JarOutputStream jar = new JarOutputStream(bytes, m)) {
            for (Map.Entry<String, byte[]> e : new TreeMap<>(entries).entrySet()) {
                jar.putNextEntry(new java.util.jar.JarEntry(e.getKey()));
                jar.write(e.getValue());
                jar.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /**
     * A class file naming itself "../x" is no class Java can load, and its name must never reach a
     * path: --source extracts a fat JAR's classes into a directory by their names.
     */
    @Test
    void aClassWhoseNameIsNoJavaNameIsRefused() throws Exception {
        Path good = boot("good", Corpus.build("supported", "body", "new"), Map.of());
        for (String name : List.of("../escaped/Pricing", "com/acme/../Pricing", "com//acme/Pricing", "com/acme/./Pricing")) {
            org.objectweb.asm.ClassWriter cw = new org.objectweb.asm.ClassWriter(0);
            cw.visit(org.objectweb.asm.Opcodes.V17, org.objectweb.asm.Opcodes.ACC_PUBLIC, name, null,
                    "java/lang/Object", null);
            cw.visitEnd();
            Path bad = damaged("bad-name.jar", "BOOT-INF/classes/" + name + ".class", cw.toByteArray());
            assertRefused(bad, good, "entry BOOT-INF/classes/" + name + ".class of " + bad + " is not a class file"
                    + " Java can load (its name " + name + " is no class name)");
        }
    }

    private static int lastLocalHeader(byte[] jar) {
        for (int i = jar.length - 4; i >= 0; i--) {
            if (jar[i] == 'P' && jar[i + 1] == 'K' && jar[i + 2] == 3 && jar[i + 3] == 4) {
                return i;
            }
        }
        throw new AssertionError("no local header");
    }

    private void assertRefused(Path oldBuild, Path newBuild, String message) {
        for (Build b : List.<Build>of(() -> PatchBuild.compare(oldBuild, newBuild).dryRun(),
                () -> PatchBuild.compare(oldBuild, newBuild).name("fix").writeTo(dir.resolve("never.jar")))) {
            IOException e = assertThrows(IOException.class, b::run);
            assertTrue(e.getMessage().contains(message), e.getMessage());
            assertFalse(Files.exists(dir.resolve("never.jar")));
        }
    }

    /** The body case's old fat JAR with one entry added or replaced. */
    private Path damaged(String file, String entry, byte[] bytes) throws IOException {
        Path classes = Files.createDirectories(dir.resolve(file + "-classes"));
        Map<String, byte[]> files = Archives.files(Corpus.build("supported", "body", "old"));
        files.forEach((name, b) -> write(classes.resolve(name), b));
        Path out = dir.resolve(file);
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (OutputStream os = Files.newOutputStream(out); JarOutputStream jar = new JarOutputStream(os, m)) {
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                String name = "BOOT-INF/classes/" + e.getKey();
                if (!name.equals(entry)) {
                    Archives.stored(jar, name, e.getValue());
                }
            }
            Archives.stored(jar, entry, bytes);
        }
        return out;
    }

    @Test
    void aClassInTheApplicationAndALibraryIsTheApplicationsCopy() throws Exception {
        // the library holds an old copy of the application's Pricing: the application's runs
        Path lib = Corpus.build("supported", "body", "old");
        Path oldJar = boot("old", Corpus.build("supported", "body", "old"), Map.of("stale.jar", Corpus.build("supported",
                "body", "new")));
        Path newJar = boot("new", Corpus.build("supported", "body", "new"), Map.of("stale.jar", lib));
        BuildReport r = PatchBuild.compare(oldJar, newJar).dryRun();
        assertEquals(List.of("com.acme.body.Pricing.price(I)I"), r.changedFunctions());
        assertTrue(r.notes().contains("a class is in BOOT-INF/classes and BOOT-INF/lib/stale.jar with different content"
                + " (com.acme.body.Pricing): the first is the application's copy, which comes first on the class path,"
                + " so it runs and is the one compared"), r.notes().toString());
        Path patch = dir.resolve("fix.jar");
        PatchBuild.compare(oldJar, newJar).name("fix").writeTo(patch);
        assertBuiltFrom(patch, oldJar, newJar, "com.acme.body.Pricing", lib.resolve("com/acme/body/Pricing.class"));
    }

    @Test
    void aClassInTwoLibrariesWithDifferentContentIsRefusedWhenItChangesAndNotedWhenItDoesNot() throws Exception {
        Path app = Corpus.build("supported", "staticmethod", "old");
        Path v1 = Corpus.build("supported", "body", "old");
        Path v2 = Corpus.build("supported", "body", "new");
        Path oldJar = boot("old", app, Map.of("pricing-1.jar", v1, "pricing-2.jar", v2));
        Path changed = boot("changed", Corpus.build("supported", "staticmethod", "new"),
                Map.of("pricing-1.jar", v2, "pricing-2.jar", v1));
        Path unchanged = boot("unchanged", Corpus.build("supported", "staticmethod", "new"),
                Map.of("pricing-1.jar", v1, "pricing-2.jar", v2));

        for (Build b : List.<Build>of(() -> PatchBuild.compare(oldJar, changed).dryRun(),
                () -> PatchBuild.compare(oldJar, changed).name("fix").writeTo(dir.resolve("never.jar")))) {
            BuildReport r = b.run();
            assertEquals(List.of("com.acme.body.Pricing: a class in BOOT-INF/lib/pricing-1.jar and"
                    + " BOOT-INF/lib/pricing-2.jar with different content: which one runs depends on the order the"
                    + " launcher or the servlet container gives the libraries, so a patch cannot know which class file"
                    + " it replaces; keep one copy (exclude the duplicate dependency) or leave it out of the comparison"
                    + " with --include"), r.problems());
            assertTrue(r.changedFunctions().stream().noneMatch(f -> f.startsWith("com.acme.body.")), r.lines().toString());
            assertFalse(Files.exists(dir.resolve("never.jar")));
        }

        BuildReport r = PatchBuild.compare(oldJar, unchanged).dryRun();
        assertFalse(r.refused(), r.lines().toString());
        assertTrue(r.notes().contains("a class is in BOOT-INF/lib/pricing-1.jar and BOOT-INF/lib/pricing-2.jar with"
                + " different content (com.acme.body.Pricing), the same in both builds: left alone"), r.notes().toString());
        // --include leaves the duplicate out, and says nothing of it
        BuildReport narrowed = PatchBuild.compare(oldJar, changed).include("com.acme.staticmethod.*").dryRun();
        assertFalse(narrowed.refused(), narrowed.lines().toString());
        assertTrue(narrowed.notes().stream().noneMatch(n -> n.contains("com.acme.body")), narrowed.notes().toString());
    }

    @Test
    void anIncludeThatMatchesNothingNamesTheRealPackagesOfAFatJar() throws Exception {
        Path oldJar = boot("old", Corpus.build("supported", "body", "old"), Map.of());
        Path newJar = boot("new", Corpus.build("supported", "body", "new"), Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PatchBuild.compare(oldJar, newJar).include("BOOT-INF.*").dryRun());
        assertTrue(e.getMessage().startsWith("--include 'BOOT-INF.*' matched no class of the old build (its classes are"
                + " in package: com.acme.body)"), e.getMessage());
    }

    private Path boot(String name, Path classes, Map<String, Path> libs) throws IOException {
        return Archives.bootJar(Files.createDirectories(dir.resolve(name)).resolve("app.jar"), classes, libs,
                "com.acme.App");
    }

    /** The patch's manifest names the archives' digests, and its recorded class file is the one that runs. */
    private static void assertBuiltFrom(Path patch, Path oldBuild, Path newBuild, String target, Path oldClassFile)
            throws IOException {
        try (JarFile jar = new JarFile(patch.toFile())) {
            Attributes a = jar.getManifest().getMainAttributes();
            assertEquals(Corpus.sha256(Files.readAllBytes(oldBuild)), a.getValue(PatchJar.OLD_BUILD));
            assertEquals(Corpus.sha256(Files.readAllBytes(newBuild)), a.getValue(PatchJar.NEW_BUILD));
            assertTrue(a.getValue(PatchJar.NESTMATES).contains("=" + target), a.getValue(PatchJar.NESTMATES));
            Properties files = new Properties();
            files.load(new StringReader(new String(jar.getInputStream(jar.getEntry(PatchJar.OLD_CLASS_FILES))
                    .readAllBytes(), StandardCharsets.ISO_8859_1)));
            assertEquals(ClassDigest.ofFile(Files.readAllBytes(oldClassFile)), files.getProperty(target));
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void write(Path f, byte[] bytes) {
        try {
            Files.createDirectories(f.getParent());
            Files.write(f, bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
