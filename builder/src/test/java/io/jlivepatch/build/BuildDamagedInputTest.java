package io.jlivepatch.build;

import io.jlivepatch.BuildReport;
import io.jlivepatch.PatchBuild;
import io.jlivepatch.internal.jar.PatchJar;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The escapes {@link MutatedBuildInputTest} found, one case each: a damaged or hostile build is
 * refused with the builder's own one-line error naming the entry (escaped), before anything is
 * written; a class name the old build may legally hold is written into the patch so that core
 * reads it back as itself.
 */
class BuildDamagedInputTest {

    private static final String PRICING = "com/acme/body/Pricing.class";

    @TempDir
    Path dir;

    /** The fuzz test's bases, for the seeds it found: they live in a directory of their own. */
    @TempDir
    static Path fuzzDir;

    @BeforeAll
    static void bases() throws Exception {
        MutatedBuildInputTest.dir = fuzzDir;
        MutatedBuildInputTest.bases();
    }

    /** Before: "(java.lang.IllegalArgumentException)", ASM's exception for a constant of no known kind. */
    @Test
    void aClassFileWithAHugeConstantPoolCountIsRefusedInTheBuildersWords() throws Exception {
        Map<String, byte[]> files = Archives.files(Corpus.build("supported", "body", "old"));
        byte[] pricing = files.get(PRICING).clone();
        pricing[8] = (byte) 0xFF;
        pricing[9] = (byte) 0xFF;
        files.put(PRICING, pricing);
        Path old = tree("old", files);
        IOException e = refused(old, Corpus.build("supported", "body", "new"));
        assertEquals("cannot read the build " + old + ": entry " + PRICING + " of " + old + " is not a class file Java"
                + " can load (a constant, an attribute or an instruction in it is malformed): the build is damaged; build"
                + " it again (or copy it again) and retry", e.getMessage());
    }

    /** Before: "(java.lang.ArrayIndexOutOfBoundsException: Index 22 out of bounds for length 22)". */
    @Test
    void aClassFileCutShortIsRefusedInTheBuildersWords() throws Exception {
        Map<String, byte[]> files = Archives.files(Corpus.build("supported", "body", "old"));
        files.put(PRICING, Arrays.copyOf(files.get(PRICING), 22));
        Path old = tree("old", files);
        IOException e = refused(old, Corpus.build("supported", "body", "new"));
        assertEquals("cannot read the build " + old + ": entry " + PRICING + " of " + old + " is not a class file Java"
                + " can load (it is cut short, or a count, length or offset in it points outside it): the build is"
                + " damaged; build it again (or copy it again) and retry", e.getMessage());
    }

    /**
     * A damaged class of a nested JAR is that class's damage, named once. Before, its refusal came
     * wrapped in the JAR's: "entry BOOT-INF/lib/util.jar of X is a damaged JAR (java.io.IOException:
     * entry BOOT-INF/lib/util.jar!/... of X is not a class file ...: the build is damaged ...)".
     */
    @Test
    void aDamagedClassOfANestedJarIsNamedOnceNotAsTheJarsDamage() throws Exception {
        byte[] pricing = Files.readAllBytes(Corpus.build("supported", "body", "old").resolve(PRICING));
        byte[] lib = Archives.jar(Map.of("com/acme/lib/Util.class", Arrays.copyOf(pricing, 40)));
        Path old = Files.createDirectories(dir.resolve("old"));
        Archives.extract(Archives.bootJar(dir.resolve("boot.jar"), Corpus.build("supported", "body", "old"), Map.of(),
                "com.acme.body.Driver"), old);
        Files.createDirectories(old.resolve("BOOT-INF/lib"));
        Files.write(old.resolve("BOOT-INF/lib/util.jar"), lib);
        IOException e = refused(old, Corpus.build("supported", "body", "new"));
        assertEquals("cannot read the build " + old + ": entry BOOT-INF/lib/util.jar!/com/acme/lib/Util.class of " + old
                + " is not a class file Java can load (it is cut short, or a count, length or offset in it points"
                + " outside it): the build is damaged; build it again (or copy it again) and retry", e.getMessage());
    }

    /** Before: the carriage return went out raw in the message ("as \rcom/acme/body/Pricing.class"). */
    @Test
    void anEntryNameWithAControlCharacterIsQuotedEscaped() throws Exception {
        Map<String, byte[]> files = Archives.files(Corpus.build("supported", "body", "new"));
        files.put("\r" + PRICING, files.remove(PRICING));
        Path newBuild = tree("new", files);
        IOException e = refused(Corpus.build("supported", "body", "old"), newBuild);
        assertEquals("cannot read the build " + newBuild + ": " + newBuild + " holds class com.acme.body.Pricing as"
                + " \\r" + PRICING + ": give the JAR or the directory its packages start in (for a Maven project,"
                + " target/classes)", e.getMessage());
    }

    /**
     * A class named with a terminal's escape sequence (legal in the JVM): before, built, every report
     * line naming it carried the ESC raw ("changed function: com.acme.body.", ESC, "Pricing.price(I)I").
     */
    @Test
    void aClassNameWithAControlCharacterIsRefused() throws Exception {
        IOException e = renamed("com/acme/body/\u001bPricing");
        assertTrue(e.getMessage().contains(" is not a class file Java can load (its name com/acme/body/\\ePricing"
                + " holds '\\e' (U+001B), which no compiler writes into a class name): the build is"
                + " damaged"), e.getMessage());
    }

    /**
     * A class named {@code A=B} (legal in the JVM): before, the build wrote a patch core refuses
     * ("Livepatch-Nestmates entry 'com.acme.body.Pri=cing$$Livepatch=com.acme.body.Pri=cing' is not
     * patchClass=targetClass"); one with a space or a comma, a patch whose class lists split the name.
     * A problem of the report, as every change a patch cannot carry: the dry run says it too.
     */
    @Test
    void aClassNameAPatchJarsManifestCannotListIsAProblemAndNothingIsWritten() throws Exception {
        for (String name : List.of("com/acme/body/Pri=cing", "com/acme/body/Pri cing", "com/acme/body/Pri,cing")) {
            Path oldBuild = tree("old-" + name.hashCode(), entries(MutatedBuildInputTest.rename(entries("old"),
                    "com/acme/body/Pricing", name)));
            Path newBuild = tree("new-" + name.hashCode(), entries(MutatedBuildInputTest.rename(entries("new"),
                    "com/acme/body/Pricing", name)));
            char c = name.charAt("com/acme/body/Pri".length());
            List<String> expected = List.of(name.replace('/', '.') + ": its name holds '" + c + "' (U+00"
                    + Integer.toHexString(c).toUpperCase() + "), which a patch JAR's manifest cannot list (it splits"
                    + " class names at white space and commas, a nestmate pair at '='): leave the class out (--include),"
                    + " or rename it");
            Path out = dir.resolve("never.jar");
            BuildReport r = PatchBuild.compare(oldBuild, newBuild).name("fix").writeTo(out);
            assertEquals(expected, r.problems());
            assertFalse(Files.exists(out));
            assertEquals(expected, PatchBuild.compare(oldBuild, newBuild).dryRun().problems());
        }
    }

    /**
     * The spaces beyond ASCII (no-break, ideographic, ...) are no separators of a patch JAR's class
     * lists (PatchJar.words splits at ASCII white space and commas only): a class named with one, legal
     * in the JVM, built and loaded before the check of names a manifest cannot list, and still does.
     */
    @Test
    void aClassNameWithASpaceBeyondAsciiIsWrittenAndReadBackAsItself() throws Exception {
        for (String name : List.of("com/acme/body/Pri\u00a0cing", "com/acme/body/Pri\u3000cing")) {
            Path oldBuild = tree("old-" + name.hashCode(), entries(MutatedBuildInputTest.rename(entries("old"),
                    "com/acme/body/Pricing", name)));
            Path newBuild = tree("new-" + name.hashCode(), entries(MutatedBuildInputTest.rename(entries("new"),
                    "com/acme/body/Pricing", name)));
            Path out = dir.resolve("fix-" + Integer.toHexString(name.hashCode()) + ".jar");
            BuildReport r = PatchBuild.compare(oldBuild, newBuild).name("fix").writeTo(out);
            assertEquals(List.of(), r.problems());
            PatchJar jar = PatchJar.read(out);
            assertEquals(List.of(name.replace('/', '.')), List.copyOf(jar.oldDigests().keySet()));
        }
    }

    /** Before: built, its report line carried a DEL raw ("ERROR: com.acme.body.Pricing.price(", DEL, ")I: ..."). */
    @Test
    void aMethodDescriptorThatIsNoDescriptorIsRefused() throws Exception {
        Map<String, byte[]> files = Archives.files(Corpus.build("supported", "body", "new"));
        byte[] pricing = files.get(PRICING);
        byte[] from = "(I)I".getBytes(StandardCharsets.UTF_8);
        int at = indexOf(pricing, from);
        pricing[at + 1] = 0x7F;
        Path newBuild = tree("new", files);
        IOException e = refused(Corpus.build("supported", "body", "old"), newBuild);
        assertEquals("cannot read the build " + newBuild + ": entry " + PRICING + " of " + newBuild + " is not a class"
                + " file Java can load (method price(\\u007f)I: (\\u007f)I is no method descriptor): the build is"
                + " damaged; build it again (or copy it again) and retry", e.getMessage());
    }

    /**
     * A class name beyond Latin-1, as javac writes for a Java identifier such as {@code PricingΣ}:
     * before, old-classes.properties held it as ISO 8859-1 bytes, so core read back {@code Pricing?}
     * and found no digest for the class the patch replaces.
     */
    @Test
    void aClassNameBeyondLatin1IsReadBackFromThePatchAsItself() throws Exception {
        String name = "com/acme/body/Pricing\u03a3";
        Path oldBuild = tree("old", entries(MutatedBuildInputTest.rename(entries("old"), "com/acme/body/Pricing", name)));
        Path newBuild = tree("new", entries(MutatedBuildInputTest.rename(entries("new"), "com/acme/body/Pricing", name)));
        Path out = dir.resolve("fix.jar");
        BuildReport r = PatchBuild.compare(oldBuild, newBuild).name("fix").writeTo(out);
        assertFalse(r.refused(), r.lines().toString());
        PatchJar jar = PatchJar.read(out);
        assertEquals(List.of("com.acme.body.Pricing\u03a3"), List.copyOf(jar.oldDigests().keySet()));
        assertEquals(List.of("com.acme.body.Pricing\u03a3"), List.copyOf(jar.oldFileDigests().keySet()));
    }

    /** Seeds of {@link MutatedBuildInputTest} (up to 300 a mutation and base) that once escaped. */
    @Test
    void aCallWhoseDescriptorIsNoDescriptorIsRefusedNotThrownByTheWriter() throws Exception {
        // ASM's writer threw StringIndexOutOfBoundsException out of the build
        MutatedBuildInputTest.buildCase("newclass-jar", MutatedBuildInputTest.Mutation.CLASS_BYTES, 117015041903342L);
        MutatedBuildInputTest.buildCase("lambda-boot", MutatedBuildInputTest.Mutation.CLASS_BYTES, 117015041904321L);
    }

    @Test
    void aCallThroughAConstantOfAnotherKindIsRefusedNotThrownByTheComparison() throws Exception {
        // SelfCallingFunctions threw NullPointerException ("call.owner" is null)
        MutatedBuildInputTest.buildCase("body-dir", MutatedBuildInputTest.Mutation.CLASS_BYTES, 117015041902328L);
    }

    @Test
    void aSuperclassNameWithAControlCharacterIsRefusedNotQuotedRawInTheReport() throws Exception {
        // "ERROR: com.acme.lambda.Driver: superclass changed from java.lang.Object to java.lang", SOH, "Object: ..."
        MutatedBuildInputTest.buildCase("lambda-boot", MutatedBuildInputTest.Mutation.CLASS_BYTES, 117015041904510L);
        MutatedBuildInputTest.buildCase("lambda-boot", MutatedBuildInputTest.Mutation.CLASS_BYTES, 117015041904513L);
    }

    @Test
    void anAttributeWithoutANameIsRefusedNotThrownByTheWriter() throws Exception {
        // ASM's writer threw NullPointerException (an attribute's name a constant of another kind)
        MutatedBuildInputTest.buildCase("newclass-jar", MutatedBuildInputTest.Mutation.CLASS_BYTES, 117015041903375L);
    }

    @Test
    void aClassFiledUnderAnotherNameThatHoldsAControlCharacterIsRefusedAsDamage() throws Exception {
        // with a flawed class left alone where both builds hold it unchanged (BuildFlawedClassTest), the
        // refusal of one filed under another name quoted that name raw ("holds class com.a", DEL, "me.body...")
        MutatedBuildInputTest.buildCase("body-dir", MutatedBuildInputTest.Mutation.CLASS_BYTES, 117015041902262L);
        MutatedBuildInputTest.buildCase("newclass-jar", MutatedBuildInputTest.Mutation.CLASS_BYTES, 117015041903271L);
    }

    // ------------------------------------------------------------------------------------------------

    private IOException renamed(String to) throws IOException {
        Path oldBuild = tree("old", entries(MutatedBuildInputTest.rename(entries("old"), "com/acme/body/Pricing", to)));
        Path newBuild = tree("new", entries(MutatedBuildInputTest.rename(entries("new"), "com/acme/body/Pricing", to)));
        return refused(oldBuild, newBuild);
    }

    private IOException refused(Path oldBuild, Path newBuild) {
        Path out = dir.resolve("never.jar");
        IOException e = assertThrows(IOException.class, () -> PatchBuild.compare(oldBuild, newBuild).name("fix")
                .writeTo(out));
        MutatedBuildInputTest.assertCleanRefusal("the case", e);
        assertFalse(Files.exists(out));
        return e;
    }

    private static List<MutatedBuildInputTest.Entry> entries(String build) throws IOException {
        List<MutatedBuildInputTest.Entry> out = new ArrayList<>();
        Archives.files(Corpus.build("supported", "body", build)).forEach((n, b) -> out.add(new MutatedBuildInputTest.Entry(n, b)));
        return out;
    }

    private static Map<String, byte[]> entries(List<MutatedBuildInputTest.Entry> entries) {
        Map<String, byte[]> out = new java.util.TreeMap<>();
        entries.forEach(e -> out.put(e.text(), e.content()));
        return out;
    }

    private Path tree(String name, Map<String, byte[]> files) throws IOException {
        Path root = Files.createDirectories(dir.resolve(name));
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path p = root.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, f.getValue());
        }
        return root;
    }

    private static int indexOf(byte[] b, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= b.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (b[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
