package io.jlivepatch.build;

import io.jlivepatch.BuildReport;
import io.jlivepatch.PatchBuild;
import io.jlivepatch.internal.jar.PatchJar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A class the JVM would not load (a control character in its name or a member's, a descriptor that
 * is no descriptor) refuses the build only where the patch would carry or compare it. One both
 * builds hold unchanged, or that {@code --include} leaves out, is left alone with a note: before,
 * it refused every build, and with it the fix of another class.
 */
class BuildFlawedClassTest {

    private static final String ESC_NAME = "com/acme/body/\u001bHelper";
    private static final String BAD_DESCRIPTOR = "com/acme/body/Legacy";

    @TempDir
    Path dir;

    @Test
    void anUnchangedClassWithAControlCharacterInItsNameIsLeftAloneWithANote() throws Exception {
        byte[] helper = flawed(ESC_NAME, "()I");
        Path oldBuild = build("old", Map.of(ESC_NAME, helper));
        Path newBuild = build("new", Map.of(ESC_NAME, helper));
        BuildReport r = patch(oldBuild, newBuild);
        assertTrue(r.notes().contains("entry com/acme/body/\\eHelper.class of " + oldBuild + " is not a class file Java"
                + " can load (its name com/acme/body/\\eHelper holds '\\e' (U+001B), which no compiler writes into a class"
                + " name), the same in both builds: left alone, the patch neither carries nor replaces it (a JVM loading"
                + " it would refuse it)"), r.notes().toString());
    }

    @Test
    void anUnchangedClassWithADescriptorThatIsNoDescriptorIsLeftAlone() throws Exception {
        byte[] legacy = flawed(BAD_DESCRIPTOR, "(\u007f)I");
        BuildReport r = patch(build("old", Map.of(BAD_DESCRIPTOR, legacy)), build("new", Map.of(BAD_DESCRIPTOR, legacy)));
        assertEquals(1, r.notes().stream().filter(n -> n.contains("Legacy.class of ") && n.contains("(method m(\\u007f)I:"
                + " (\\u007f)I is no method descriptor), the same in both builds: left alone")).count(), r.notes().toString());
    }

    @Test
    void aChangedClassWithAControlCharacterInItsNameIsStillRefused() throws Exception {
        Path oldBuild = build("old", Map.of(ESC_NAME, flawed(ESC_NAME, "()I")));
        Path newBuild = build("new", Map.of(ESC_NAME, flawed(ESC_NAME, "()J")));
        IOException e = refused(oldBuild, newBuild, List.of());
        assertEquals("cannot read the build " + oldBuild + ": entry com/acme/body/\\eHelper.class of " + oldBuild + " is not"
                + " a class file Java can load (its name com/acme/body/\\eHelper holds '\\e' (U+001B), which no compiler"
                + " writes into a class name): the build is damaged; build it again (or copy it again) and retry",
                e.getMessage());
    }

    @Test
    void aClassWithABadDescriptorOnlyTheNewBuildHoldsIsStillRefused() throws Exception {
        Path newBuild = build("new", Map.of(BAD_DESCRIPTOR, flawed(BAD_DESCRIPTOR, "(\u007f)I")));
        IOException e = refused(build("old", Map.of()), newBuild, List.of());
        assertEquals("cannot read the build " + newBuild + ": entry " + BAD_DESCRIPTOR + ".class of " + newBuild + " is not"
                + " a class file Java can load (method m(\\u007f)I: (\\u007f)I is no method descriptor): the build is"
                + " damaged; build it again (or copy it again) and retry", e.getMessage());
    }

    @Test
    void aChangedFlawedClassThatIncludeLeavesOutIsLeftAlone() throws Exception {
        Path oldBuild = build("old", Map.of(ESC_NAME, flawed(ESC_NAME, "()I")));
        Path newBuild = build("new", Map.of(ESC_NAME, flawed(ESC_NAME, "()J")));
        Path out = dir.resolve("fix.jar");
        BuildReport r = PatchBuild.compare(oldBuild, newBuild).include("com.acme.body.Pricing").name("fix").writeTo(out);
        assertEquals(List.of("com.acme.body.Pricing.price(I)I"), r.changedFunctions());
        assertTrue(r.notes().stream().anyMatch(n -> n.endsWith("\\eHelper.class of " + oldBuild + " is not a class file"
                + " Java can load (its name com/acme/body/\\eHelper holds '\\e' (U+001B), which no compiler writes into a"
                + " class name), left out by --include: left alone, the patch neither carries nor replaces it (a JVM"
                + " loading it would refuse it)")), r.notes().toString());
        PatchJar.read(out);
        // and without the --include, refused as ever
        refused(oldBuild, newBuild, List.of());
    }

    @Test
    void aSourceBuildOverAnOldBuildWithAnUnchangedFlawedClassIsCompiled() throws Exception {
        Path oldBuild = build("old", Map.of(ESC_NAME, flawed(ESC_NAME, "()I")));
        Path src = Files.createDirectories(dir.resolve("src/com/acme/body"));
        Files.copy(Corpus.source("supported", "body", "new", "com/acme/body/Pricing.java"), src.resolve("Pricing.java"));
        Path out = dir.resolve("fix.jar");
        BuildReport r = PatchBuild.compile(oldBuild, List.of(dir.resolve("src"))).name("fix").writeTo(out);
        assertEquals(List.of("com.acme.body.Pricing.price(I)I"), r.changedFunctions());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("the same in both builds: left alone")), r.notes().toString());
        PatchJar.read(out);
    }

    // ------------------------------------------------------------------------------------------------

    /** The patch of Pricing.price, written and read back as core reads it. */
    private BuildReport patch(Path oldBuild, Path newBuild) throws Exception {
        Path out = dir.resolve("fix.jar");
        BuildReport r = PatchBuild.compare(oldBuild, newBuild).name("fix").writeTo(out);
        assertFalse(r.refused(), r.lines().toString());
        assertEquals(List.of("com.acme.body.Pricing.price(I)I"), r.changedFunctions());
        r.lines().forEach(l -> MutatedBuildInputTest.assertCleanRefusal("a report line", new IOException(l)));
        PatchJar.read(out);
        return r;
    }

    private IOException refused(Path oldBuild, Path newBuild, List<String> includes) {
        Path out = dir.resolve("never.jar");
        PatchBuild build = PatchBuild.compare(oldBuild, newBuild).name("fix");
        includes.forEach(build::include);
        IOException e = assertThrows(IOException.class, () -> build.writeTo(out));
        MutatedBuildInputTest.assertCleanRefusal("the case", e);
        assertFalse(Files.exists(out));
        return e;
    }

    /** The body case's build with these class files added. */
    private Path build(String which, Map<String, byte[]> extra) throws IOException {
        Path root = Files.createDirectories(dir.resolve(which));
        Map<String, byte[]> files = new java.util.TreeMap<>(Archives.files(Corpus.build("supported", "body", which)));
        extra.forEach((name, bytes) -> files.put(name + ".class", bytes));
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path p = root.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, f.getValue());
        }
        return root;
    }

    /** A class with one method {@code m} of {@code descriptor}, which may be no descriptor. */
    private static byte[] flawed(String name, String descriptor) {
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name, null, "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_ABSTRACT, "m", descriptor, null, null);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
