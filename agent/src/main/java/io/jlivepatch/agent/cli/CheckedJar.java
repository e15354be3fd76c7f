package io.jlivepatch.agent.cli;

import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.core.Patchability;
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

    /**
     * Reads and checks the JAR as a load would, the patch's name included (load too: a bad name must not load
     * the agent into a JVM that has none, only to be refused there).
     *
     * @throws Refusal with the reason ({@code INVALID_PATCH: ...}) when a load would refuse the JAR as it is
     */
    static CheckedJar read(Path path) throws Refusal {
        PatchJarBytes bytes = null;
        PatchJar jar = null;
        try {
            JarLimits limits = JarLimits.current();
            bytes = PatchJarBytes.read(path, limits);
            jar = PatchJar.read(bytes, limits);
            if (!Patch.isValidName(jar.name())) {
                throw new Refused(PatchException.Reason.INVALID_PATCH + ": patch JAR " + Text.clean(path.toString())
                        + ": " + PatchJar.NAME + " '" + Text.clean(jar.name()) + "' is not valid: use 1 to 64"
                        + " characters from [A-Za-z0-9_.-]");
            }
            List<ReplacesScanner.Entry> functions = ReplacesScanner.scanChecked(jar);
            refuseUnpatchableByName(jar, functions);
            return new CheckedJar(bytes, jar, functions);
        } catch (PatchException e) {
            throw new Refusal(refusal(e), bytes, jar);
        } catch (Refused e) {
            throw new Refusal(e, bytes, jar);
        }
    }

    /**
     * A refusal of {@link #read}'s checks, with what they had read of the JAR: load sends the bytes of a JAR it
     * refused to a JVM that runs this very build, whose own checks decide there and whose audit log keeps the attempt.
     */
    static final class Refusal extends Refused {

        private static final long serialVersionUID = 1L;

        /** The file's content; {@code null} when it could not be read (nothing to send): not there, over the size limit. */
        final transient PatchJarBytes bytes;
        /** That content taken apart; {@code null} when it could not be. */
        final transient PatchJar jar;

        private Refusal(Refused refused, PatchJarBytes bytes, PatchJar jar) {
            super(refused.getMessage(), refused.getCause());
            this.bytes = bytes;
            this.jar = jar;
        }
    }

    /**
     * A target whose class no JVM lets jlivepatch hook, whatever runs there (java.util.concurrent, a CGLIB
     * proxy's name, ...), is refused here, in the target's words: before, inspect passed such a JAR and
     * load attached jlivepatch to the JVM (for good) only to be refused there. In the target's order: a
     * name that is no binary class name ({@code com/acme/Greeter}) is refused first, as the JAR's mistake
     * (Patch.Replacement's check, which the target makes of every {@code @Replaces} before it resolves
     * one), not taken for a hidden class's name. UnpatchableNamesIT runs this and the target's load on one
     * table of names, so that the two cannot drift apart.
     */
    private static void refuseUnpatchableByName(PatchJar jar, List<ReplacesScanner.Entry> functions) throws Refused {
        for (ReplacesScanner.Entry f : functions) {
            try {
                // The class name only: a descriptor left out is the target's to infer, and the stand-in's
                // is valid; the method's name was checked by the scan.
                new Patch.Replacement(f.target(), f.method(), "()V", STAND_IN);
            } catch (IllegalArgumentException e) {
                throw refusal(new PatchException(PatchException.Reason.INVALID_PATCH, jar.name(),
                        PatchJar.about(jar.source()) + ": " + e.getMessage()));
            }
            String why = Patchability.refusalByName(f.target());
            if (why != null) {
                throw new Refused(PatchException.Reason.NOT_PATCHABLE + ": " + Text.clean("patch '" + jar.name()
                        + "': " + f.target() + "." + f.method() + f.descriptor() + ": " + why));
            }
        }
    }

    /** A public static method for Patch.Replacement's checks of a name, as the target's PatchJarLoader uses one. */
    private static final java.lang.reflect.Method STAND_IN = standIn();

    private static java.lang.reflect.Method standIn() {
        try {
            return java.util.Objects.class.getMethod("isNull", Object.class);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("java.util.Objects.isNull is missing from this JDK", e);
        }
    }

    /**
     * A refusal from the command's own checks as it prints it: the reason first, the message cleaned. A
     * limit the JAR exceeds is this command's (its JVM's {@code jlivepatch.max-...} property), so the
     * advice says how to raise it here first: the agent option, all the message said before, changes
     * only the limits of the JVM the patch goes to, and the command refused the JAR again.
     */
    static Refused refusal(PatchException e) {
        String message = e.getMessage();
        for (String option : JarLimits.OPTIONS) {
            String inJvm = JarLimits.ADVICE + JarLimits.raiseInJvm(option);
            if (message != null && message.endsWith(inJvm)) {
                message = message.substring(0, message.length() - inJvm.length()) + " of this command's own check"
                        + JarLimits.ADVICE + "java -D" + JarLimits.PROPERTY_PREFIX + option + "=<n> -jar"
                        + " jlivepatch-agent.jar ..., and in the JVM that loads the patch with "
                        + JarLimits.raiseInJvm(option);
                break;
            }
        }
        return new Refused(e.reason() + ": " + Text.clean(message), e);
    }
}
