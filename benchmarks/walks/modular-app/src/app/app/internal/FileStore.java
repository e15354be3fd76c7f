package app.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

public final class FileStore {
    private final Path base;

    public FileStore(Path base) {
        this.base = base.toAbsolutePath().normalize();
    }

    public Path baseDir() {
        return base;
    }

    /** BUG: a name with '..' leads outside the served directory. */
    public Path resolve(String name) {
        return base.resolve(name).normalize();
    }

    public byte[] read(String name) throws IOException {
        return Files.readAllBytes(resolve(name));
    }
}
