package io.jlivepatch.agent.cli;

import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJar;
import io.jlivepatch.internal.jar.PatchJarBytes;
import io.jlivepatch.internal.jar.ReplacesScanner;

import java.nio.file.Path;
import java.util.List;

/**
 * A patch JAR as far as it can be checked without a JVM to load it into: read once (the
 * {@linkplain JarLimits#current() current limits}), taken apart, its name valid and its
 * {@code @Replaces} annotations read from the class files (no class is defined). What the target
 * alone can tell (its classes, their methods and versions) is checked by {@code load}.
 *
 * @param bytes     the file's content: every check, the copy {@code install} writes and the
 *                  signature check use these bytes, never the file again
 * @param jar       the content taken apart
 * @param functions the replacements the JAR declares
 */
record CheckedJar(PatchJarBytes bytes, PatchJar jar, List<ReplacesScanner.Entry> functions) {

    /** @throws Refused with the reason ({@code INVALID_PATCH: ...}) when a load would refuse the JAR as it is */
    static CheckedJar read(Path path) throws Refused {
        try {
            JarLimits limits = JarLimits.current();
            PatchJarBytes bytes = PatchJarBytes.read(path, limits);
            PatchJar jar = PatchJar.read(bytes, limits);
            if (!Patch.isValidName(jar.name())) {
                throw new Refused(PatchException.Reason.INVALID_PATCH + ": patch JAR " + Text.clean(path.toString())
                        + ": " + PatchJar.NAME + " '" + Text.clean(jar.name()) + "' is not valid: use 1 to 64"
                        + " characters from [A-Za-z0-9_.-]");
            }
            return new CheckedJar(bytes, jar, ReplacesScanner.scanChecked(jar));
        } catch (PatchException e) {
            throw refusal(e);
        }
    }

    /** A refusal from jlivepatch's checks as the command prints it: the reason first, the message cleaned. */
    static Refused refusal(PatchException e) {
        return new Refused(e.reason() + ": " + Text.clean(e.getMessage()), e);
    }
}
