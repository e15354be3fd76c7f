package com.acme.files.fix;

import com.acme.files.FileStore;
import io.jlivepatch.Replaces;

import java.nio.file.Path;

/**
 * The fix of the path-traversal hole, as a live patch: the {@code Livepatch-Class} of the patch JAR
 * {@code demo-app/target/jlivepatch-demo-fix-traversal.jar} (built by Maven, see demo-app/pom.xml).
 *
 * <p>A replacement is a {@code public static} method annotated {@link Replaces}; for an instance
 * method its parameters are the receiver followed by the original parameters, and it returns the
 * original's return type. The descriptor is left out because {@link FileStore} has a single method
 * called {@code resolve}. jlivepatch reads the annotation from the class file, and defines this
 * class in a class loader whose parent is the service's, so it sees {@link FileStore} as the
 * service does. The service's own JAR does not contain this package.
 */
public final class ResolveFix {

    private ResolveFix() {
    }

    /** Like the original, but a name that leads outside the base directory is refused (HTTP 403). */
    @Replaces(target = "com.acme.files.FileStore", method = "resolve")
    public static Path resolve(FileStore self, String name) {
        if (name.isEmpty() || name.startsWith("/") || name.startsWith("\\")) {
            throw new SecurityException("only names relative to the served directory are allowed: '" + name + "'");
        }
        Path base = self.baseDir();
        Path file = base.resolve(name).normalize();
        if (!file.startsWith(base) || file.equals(base)) {
            throw new SecurityException("'" + name + "' leads outside the served directory");
        }
        return file;
    }
}
