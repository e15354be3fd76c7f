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

    public Path resolve(String name) {
        Path file = base.resolve(name).normalize();
        if (!file.startsWith(base) || file.equals(base)) {
            throw new SecurityException("'" + name + "' leads outside the served directory");
        }
        return file;
    }

    public byte[] read(String name) throws IOException {
        return Files.readAllBytes(resolve(name));
    }
}
