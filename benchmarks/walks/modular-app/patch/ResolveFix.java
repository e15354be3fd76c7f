package fix;

import app.internal.FileStore;
import io.jlivepatch.Replaces;
import java.nio.file.Path;

public final class ResolveFix {
    @Replaces(target = "app.internal.FileStore", method = "resolve")
    public static Path resolve(FileStore self, String name) {
        Path base = self.baseDir();
        Path file = base.resolve(name).normalize();
        if (!file.startsWith(base) || file.equals(base)) {
            throw new SecurityException("'" + name + "' leads outside the served directory");
        }
        return file;
    }
}
