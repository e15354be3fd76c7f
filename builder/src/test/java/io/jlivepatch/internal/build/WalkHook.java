package io.jlivepatch.internal.build;

import java.nio.file.FileVisitor;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** The tests' hold on {@link DirectoryFiles}' walk: a visitor wrapped around the builder's own. */
public final class WalkHook {

    private WalkHook() {
    }

    /** Wraps the visitor of every walk until {@link #reset} (the tests of a module run one at a time). */
    public static void set(UnaryOperator<FileVisitor<Path>> wrap) {
        DirectoryFiles.visitorForTests = wrap;
    }

    public static void reset() {
        DirectoryFiles.visitorForTests = UnaryOperator.identity();
    }
}
