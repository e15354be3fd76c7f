package com.acme.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The files a {@link FileService} serves: every file under one base directory.
 *
 * <p>{@link #resolve(String)} has a path-traversal bug: it rejects absolute names but not
 * {@code ..}, so {@code ../secret.txt} names a file outside the base directory. The fixed class is
 * src/fixed/java/com/acme/files/FileStore.java: Maven builds the application a second time with it
 * (target/fixed-classes), and {@code jlivepatch build} makes the patch JAR from the two builds.
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
        // BUG: "../secret.txt" resolves to a file outside baseDir, and nothing checks that.
        return baseDir.resolve(name);
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
