package com.acme.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The files a {@link FileService} serves: every file under one base directory.
 *
 * <p>THE FIXED SOURCE. This is src/main/java/com/acme/files/FileStore.java with the path-traversal
 * fix made the ordinary way, as a developer edits the source: {@link #resolve(String)} normalizes
 * the name and refuses one that leads outside the base directory. Maven compiles it, with the rest
 * of the application, into target/fixed-classes (the fixed build), and {@code jlivepatch build}
 * compares that with target/classes (the running build) to make the patch JAR
 * target/jlivepatch-demo-fix-traversal.jar. The service's own JAR keeps the buggy class. Apart
 * from {@code resolve}, keep this file the same as the buggy one: every other difference would
 * be in the patch too, or be refused by {@code jlivepatch build}.
 */
public class FileStore {

    private final Path baseDir;

    /** @param baseDir an existing directory; it is made absolute and normalized */
    public FileStore(Path baseDir) {
        this.baseDir = Objects.requireNonNull(baseDir, "baseDir").toAbsolutePath().normalize();
        if (!Files.isDirectory(this.baseDir)) {
            throw new IllegalArgumentException("not a directory: " + this.baseDir);
        }
    }

    /** The directory served, absolute and normalized. */
    public Path baseDir() {
        return baseDir;
    }

    /**
     * The path of the file called {@code name}, relative to the base directory.
     *
     * @throws SecurityException                  when the name is not allowed (the service answers 403)
     * @throws java.nio.file.InvalidPathException when the name is no path at all (400)
     */
    public Path resolve(String name) {
        if (name.isEmpty() || name.startsWith("/") || name.startsWith("\\")) {
            throw new SecurityException("only names relative to the served directory are allowed: '" + name + "'");
        }
        // The fix: "../secret.txt" (or "docs/../../secret.txt") leads outside baseDir, and so does
        // a name that resolves to baseDir itself; "docs/../docs/guide.txt" stays inside.
        Path file = baseDir.resolve(name).normalize();
        if (!file.startsWith(baseDir) || file.equals(baseDir)) {
            throw new SecurityException("'" + name + "' leads outside the served directory");
        }
        return file;
    }

    /**
     * The content of the file called {@code name}.
     *
     * @throws NoSuchFileException when there is no regular file of that name (the service answers 404)
     */
    public byte[] read(String name) throws IOException {
        Path file = resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(name);
        }
        return Files.readAllBytes(file);
    }
}
