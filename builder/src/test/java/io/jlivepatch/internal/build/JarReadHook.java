package io.jlivepatch.internal.build;

import java.io.IOException;
import java.nio.file.Path;

/** The tests' hold on how a build's JAR is read and digested ({@link DigestedFile}). */
public final class JarReadHook {

    /** Where a test changes or fails the JAR. */
    public enum Stage {
        /** before the JAR is opened to be digested */
        OPENING,
        /** after the first buffer of a digest */
        DIGESTING,
        /** after the first digest, before the entries are read */
        DIGESTED,
        /** after the entries were read, before the digest is confirmed */
        READ
    }

    public interface Action {
        void at(Stage stage, Path jar) throws IOException;
    }

    private JarReadHook() {
    }

    /** Calls {@code action} at every stage of every JAR read until {@link #reset} (the tests of a module run one at a time). */
    public static void set(Action action) {
        DigestedFile.hookForTests = (stage, file) -> action.at(Stage.valueOf(stage.name()), file);
    }

    public static void reset() {
        DigestedFile.hookForTests = (stage, file) -> {
        };
    }
}
