package app.internal;

import io.jlivepatch.Replaces;
import java.nio.file.Path;

public final class ResolveNest {
    @Replaces(target = "app.internal.FileStore", method = "resolve")
    public static Path resolve(FileStore self, String name) {
        Path base = self.baseDir();
        Path file = base.resolve(name).normalize();
        if (!file.startsWith(base) || file.equals(base)) {
            throw new SecurityException("'" + name + "' leads outside the served directory");
        }
        return file;
    }

    /** Pricer is package-private: only a nestmate in its package reaches it. */
    @Replaces(target = "app.internal.Pricer", method = "total")
    public static int total(int quantity) {
        int net = quantity * Pricer.UNIT;
        return quantity >= 10 ? net - net / 10 : net;
    }
}
