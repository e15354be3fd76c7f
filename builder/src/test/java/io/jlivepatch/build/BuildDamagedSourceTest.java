package io.jlivepatch.build;

import io.jlivepatch.PatchBuild;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The escapes {@link MutatedSourceBuildTest} found in {@code --source} builds, one case each. */
class BuildDamagedSourceTest {

    @TempDir
    Path dir;

    /** Before: the file's name went out raw in javac's error line (an ESC, a BEL, a line end of its own). */
    @Test
    void aCompileErrorInAFileNamedWithControlCharactersQuotesTheNameEscaped() throws Exception {
        Path tree = fixedTree();
        write(tree, "com/acme/body/Bad\u001b]0;owned\u0007\n.java",
                "package com.acme.body;\nclass Extra { int x() { return y; } }\n");
        IOException e = refused(tree);
        assertEquals("the --source files do not compile with javac " + System.getProperty("java.version") + " at"
                + " --release 17 (1 error); nothing written:\n  " + tree.resolve("com/acme/body") + "/Bad\\e]0;owned"
                + "\\u0007\\n.java:2: cannot find symbol\n      symbol:   variable y\n      location: class"
                + " com.acme.body.Extra", e.getMessage());
    }

    /** Before: javac's "file should be on source path, or on patch path for module", for it and every other file. */
    @Test
    void aModuleDeclarationAmongTheSourcesIsRefusedSayingWhy() throws Exception {
        Path tree = fixedTree();
        Path module = write(tree, "module-info.java", "module fix { }\n");
        IOException e = refused(tree);
        assertEquals("--source " + module + " is a module declaration: a patch replaces methods of classes and cannot"
                + " change a module; give the changed classes' sources without it (the files, or a directory below"
                + " it)", e.getMessage());
    }

    /** Before: "none of the --source classes () is a class of the old build ...". */
    @Test
    void sourcesDeclaringNoClassAreRefusedSayingSo() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("src"));
        write(tree, "com/acme/body/Pricing.java", "");
        write(tree, "com/acme/body/Notes.java", "// nothing yet\n");
        IOException e = refused(tree);
        assertEquals("the --source files (2) declare no class: give the changed classes' sources", e.getMessage());
    }

    private Path fixedTree() throws IOException {
        Path tree = Files.createDirectories(dir.resolve("src"));
        Files.createDirectories(tree.resolve("com/acme/body"));
        Files.copy(Corpus.source("supported", "body", "new", "com/acme/body/Pricing.java"),
                tree.resolve("com/acme/body/Pricing.java"));
        return tree;
    }

    private static Path write(Path tree, String path, String text) throws IOException {
        Path f = tree.resolve(path);
        Files.createDirectories(f.getParent());
        return Files.write(f, text.getBytes(StandardCharsets.UTF_8));
    }

    private IOException refused(Path tree) {
        Path out = dir.resolve("fix.jar");
        IOException e = assertThrows(IOException.class, () -> PatchBuild.compile(Corpus.build("supported", "body",
                "old"), List.of(tree)).name("fix").writeTo(out));
        MutatedSourceBuildTest.assertCleanRefusal("the case", e);
        assertFalse(Files.exists(out));
        return e;
    }
}
