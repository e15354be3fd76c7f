package io.jlivepatch.build;

import io.jlivepatch.BuildReport;
import io.jlivepatch.PatchBuild;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The changes a method patch cannot carry ({@code build-corpus/refused}): each is refused with one
 * line per problem naming the class, the member and why, and no patch file is written.
 */
class BuildRefusalTest {

    private static final String SHADOW_API = " (io.jlivepatch.Shadow: see \"Shadow variables\" in the README)";
    private static final String SHADOW = "; keep new state in a shadow variable instead" + SHADOW_API;
    private static final String LAYOUT = ": a method patch cannot change an object's layout";
    private static final String HIERARCHY = ": a method patch cannot change the class hierarchy";

    /** The exact problem lines of each refused case. */
    private static final Map<String, List<String>> PROBLEMS = new LinkedHashMap<>();

    static {
        PROBLEMS.put("enumfield", List.of("com.acme.enumfield.Level.uses: field added to an enum: a method patch"
                + " cannot change its layout, and jlivepatch build carries added fields of classes only" + SHADOW));
        PROBLEMS.put("interfacefield", List.of("com.acme.interfacefield.Limits.UNIT: field added to an interface: a"
                + " method patch cannot change its layout, and jlivepatch build carries added fields of classes only"
                + SHADOW));
        PROBLEMS.put("staticness", List.of("com.acme.staticness.Counter.count: field changed from instance to static"
                + LAYOUT + "; keep it as it was and add a field of another name"));
        PROBLEMS.put("constantchanged", List.of("com.acme.constantchanged.Limits.MAX: constant value changed: code"
                + " compiled against it keeps the old value inlined"));
        PROBLEMS.put("fieldinitcomputed", List.of("com.acme.fieldinitcomputed.Session.<init>()V: constructor changed:"
                + " a method patch cannot change constructors; move the change into a method the constructor calls, or"
                + " use a shadow variable" + SHADOW_API));
        PROBLEMS.put("fieldotherpackage", List.of("com.acme.fieldotherpackage.util.Config.retries: field added to a"
                + " class of package com.acme.fieldotherpackage.util, where no method changes: the patch carries a new"
                + " field's shadow variable only into packages whose classes it patches"));
        PROBLEMS.put("fieldinitprivate", List.of("com.acme.fieldinitprivate.Holder.stats: the added field starts as"
                + " new com.acme.fieldinitprivate.Holder$Stats(), whose constructor is private: the shadow variable's"
                + " holder is made outside com.acme.fieldinitprivate.Holder's nest; make"
                + " com.acme.fieldinitprivate.Holder$Stats's no-argument constructor package-private"));
        PROBLEMS.put("fieldinitpartial", List.of(
                "com.acme.fieldinitpartial.Order.quantity: the added field starts as 1 in some constructors but not in"
                        + " [<init>()V]: a shadow variable starts with one value for every object; set it to the same"
                        + " constant or no-argument new in every constructor, or in its declaration",
                "com.acme.fieldinitpartial.Order.<init>(Ljava/lang/String;)V: constructor changed: a method patch"
                        + " cannot change constructors; move the change into a method the constructor calls, or use a"
                        + " shadow variable" + SHADOW_API));
        PROBLEMS.put("fieldremoved", List.of("com.acme.fieldremoved.Account.audit: field removed" + LAYOUT));
        PROBLEMS.put("fieldretyped", List.of("com.acme.fieldretyped.Account.balance: field type changed from I to J"
                + LAYOUT + SHADOW));
        PROBLEMS.put("signature", List.of("com.acme.signature.Formatter.format(J)Ljava/lang/String;: signature changed"
                + " (the old build has format with another descriptor): a method patch cannot change signatures; keep"
                + " the old signature and add an overload"));
        PROBLEMS.put("modifiers", List.of("com.acme.modifiers.Label.label()Ljava/lang/String;: modifiers changed:"
                + " a method patch cannot change them"));
        PROBLEMS.put("superclass", List.of(
                "com.acme.superclass.Dog: superclass changed from com.acme.superclass.Animal to com.acme.superclass.Pet"
                        + HIERARCHY,
                // the constructor's super() call names the new superclass
                "com.acme.superclass.Dog.<init>()V: constructor changed: a method patch cannot change constructors;"
                        + " move the change into a method the constructor calls, or use a shadow variable" + SHADOW_API));
        PROBLEMS.put("interfaceadded", List.of("com.acme.interfaceadded.Task: implemented interfaces changed from"
                + " [java.lang.Runnable] to [java.lang.Runnable, java.io.Serializable]" + HIERARCHY));
        PROBLEMS.put("constructor", List.of("com.acme.constructor.Account.<init>(J)V: constructor changed: a method"
                + " patch cannot change constructors; move the change into a method the constructor calls, or use a"
                + " shadow variable" + SHADOW_API));
        PROBLEMS.put("clinit", List.of("com.acme.clinit.Registry.<clinit>()V: static initializer changed: it ran"
                + " when the class loaded and will not run again" + SHADOW));
        PROBLEMS.put("enumconstant", List.of(
                "com.acme.enumconstant.Color.BLUE: enum constant added: a method patch cannot change an enum's constants",
                "com.acme.enumconstant.Color.<clinit>()V: static initializer changed: it ran when the class loaded and"
                        + " will not run again" + SHADOW));
        PROBLEMS.put("recordcomponent", List.of(
                "com.acme.recordcomponent.Point.z: field added to a record: a method patch cannot change its layout,"
                        + " and jlivepatch build carries added fields of classes only" + SHADOW,
                "com.acme.recordcomponent.Point: record components changed from [x I, y I] to [x I, y I, z I]: a method"
                        + " patch cannot change a record's components",
                "com.acme.recordcomponent.Point.<init>(III)V: constructor added: a method patch cannot change"
                        + " constructors; create objects through the existing ones"));
        PROBLEMS.put("newclassotherpackage", List.of("com.acme.newclassotherpackage.util.Escaper: new class in package"
                + " com.acme.newclassotherpackage.util, where no class changes: the patch carries new classes only into"
                + " packages whose classes it patches"));
        PROBLEMS.put("methodremoved", List.of("com.acme.methodremoved.Api.legacy()Ljava/lang/String;: method removed:"
                + " a method patch cannot remove methods; keep it"));
        PROBLEMS.put("addedelsewhere", List.of("com.acme.addedelsewhere.Caller.call()Ljava/lang/String; calls"
                + " com.acme.addedelsewhere.Helper.helpMore()Ljava/lang/String;, which the new build adds to another"
                + " class: move it into com.acme.addedelsewhere.Caller or a new class"));
        PROBLEMS.put("addedelsewhereref", List.of("com.acme.addedelsewhereref.Caller.call()Ljava/lang/String; calls"
                + " com.acme.addedelsewhereref.Helper.helpMore()Ljava/lang/String;, which the new build adds to another"
                + " class: move it into com.acme.addedelsewhereref.Caller or a new class"));
    }

    @TempDir
    Path dir;

    static Stream<String> refusedCases() {
        return Corpus.cases("refused").stream();
    }

    @Test
    void everyRefusedCaseHasItsExpectedProblems() {
        assertEquals(Corpus.cases("refused"), new ArrayList<>(PROBLEMS.keySet()).stream().sorted().toList());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedCases")
    void theChangeIsRefusedWithOneLinePerProblemAndNoFileIsWritten(String name) throws Exception {
        Path oldBuild = Corpus.build("refused", name, "old");
        Path newBuild = Corpus.build("refused", name, "new");
        Path out = Files.createDirectories(dir.resolve("out")).resolve("fix-" + name + ".jar");
        List<String> expected = PROBLEMS.get(name);

        BuildReport r = PatchBuild.compare(oldBuild, newBuild).name("fix-" + name).writeTo(out);
        assertTrue(r.refused());
        assertEquals(String.join("\n", expected), String.join("\n", r.problems()));
        List<String> lines = r.lines();
        for (String p : expected) {
            assertTrue(lines.contains("ERROR: " + p), lines.toString());
        }
        assertEquals(expected.size() + (expected.size() == 1 ? " change" : " changes")
                + " cannot be live patched; no patch written", lines.get(lines.size() - 1));
        assertFalse(Files.exists(out), "a refused build writes no patch");
        try (Stream<Path> left = Files.list(out.getParent())) {
            assertEquals(List.of(), left.toList(), "and leaves nothing behind");
        }

        // the dry run finds the same problems
        assertEquals(expected, PatchBuild.compare(oldBuild, newBuild).report().problems());
    }

    @Test
    void aRefusedBuildLeavesAnExistingOutputFileAsItWas() throws Exception {
        Path out = Files.writeString(dir.resolve("fix.jar"), "an earlier patch");
        BuildReport r = PatchBuild.compare(Corpus.build("refused", "fieldremoved", "old"),
                Corpus.build("refused", "fieldremoved", "new")).name("fix").writeTo(out);
        assertTrue(r.refused());
        assertEquals("an earlier patch", Files.readString(out));
    }

    /** -o naming a directory (a watched patch directory, say) must not replace it, even when it is empty. */
    @Test
    void anOutputThatIsADirectoryIsRefusedAndLeftAsItWas() throws Exception {
        Path out = Files.createDirectories(dir.resolve("patches"));
        PatchBuild b = PatchBuild.compare(Corpus.build("supported", "body", "old"), Corpus.build("supported", "body", "new"))
                .name("fix");
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> b.writeTo(out));
        assertTrue(e.getMessage().contains(out + " is a directory"), e.getMessage());
        assertTrue(Files.isDirectory(out));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(out), left.toList(), "and nothing is left beside it");
        }
    }

    /** -o naming an input (the running build's JAR, say) would replace it with the patch: refused, the input intact. */
    @Test
    void anOutputThatIsOneOfTheInputsIsRefusedAndLeftAsItWas() throws Exception {
        Path oldJar = Corpus.jar(Corpus.build("supported", "body", "old"), dir.resolve("app-1.0.jar"));
        Path newJar = Corpus.jar(Corpus.build("supported", "body", "new"), dir.resolve("app-1.0-fixed.jar"));
        byte[] oldBytes = Files.readAllBytes(oldJar);
        byte[] newBytes = Files.readAllBytes(newJar);
        for (Path out : List.of(oldJar, newJar, dir.resolve(".").resolve("app-1.0.jar"))) {
            java.io.IOException e = assertThrows(java.io.IOException.class,
                    () -> PatchBuild.compare(oldJar, newJar).name("fix").writeTo(out));
            assertTrue(e.getMessage().contains(" that the patch is made from: writing the patch there would replace it"),
                    e.getMessage());
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(oldBytes, Files.readAllBytes(oldJar));
        org.junit.jupiter.api.Assertions.assertArrayEquals(newBytes, Files.readAllBytes(newJar));
    }

    @Test
    void anInvalidPatchNameIsRefusedBeforeAnythingIsWritten() {
        Path out = dir.resolve("fix.jar");
        PatchBuild b = PatchBuild.compare(Corpus.build("supported", "body", "old"), Corpus.build("supported", "body", "new"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.name("bad name!").writeTo(out));
        assertTrue(e.getMessage().contains("'bad name!'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PatchBuild.compare(Corpus.build("supported", "body", "old"),
                Corpus.build("supported", "body", "new")).writeTo(out), "a name is required");
        assertFalse(Files.exists(out));
    }

    @Test
    void anInputThatIsNeitherAJarNorADirectoryIsAnError() throws Exception {
        Path notJar = Files.writeString(dir.resolve("app.jar"), "not a jar");
        Path body = Corpus.build("supported", "body", "new");
        assertThrows(java.io.IOException.class, () -> PatchBuild.compare(notJar, body).report());
        assertThrows(java.io.IOException.class, () -> PatchBuild.compare(body, dir.resolve("absent.jar")).report());
    }
}
