package io.jlivepatch.agent.cli;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.Sha256;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.trust.Signature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "install", mixinStandardHelpOptions = true,
        description = "Copy a patch JAR into the directory a JVM loads its patches from at start-up"
                + " (-javaagent:jlivepatch-agent.jar=patches=<dir>), atomically, after checking it as a load"
                + " would; with --truststore, only when its signature verifies.")
final class InstallCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<patch.jar>", description = "the patch JAR")
    Path file;

    @Parameters(index = "1", paramLabel = "<dir>", description = "the start-up directory (patches=<dir>)")
    Path directory;

    @Option(names = "--as", paramLabel = "<name.jar>",
            description = "the file name in <dir> (default: the JAR's own); the start-up loader takes the JARs in"
                    + " file-name order")
    String as;

    @Option(names = "--replace", description = "overwrite a different file of that name in <dir>")
    boolean replace;

    @Mixin
    TrustStoreOption trust;

    /** The name an operator who gave {@code spaced} may mean, if the start-up loader reads it; else an example. */
    private static String nameToGive(String spaced) {
        String name = PatchDirectory.withoutEdgeSpace(spaced);
        return PatchDirectory.isPlainJarName(name) ? name : "10-fix.jar";
    }

    @Override
    public Integer call() throws Refused {
        if (as != null && PatchDirectory.hasEdgeSpace(as)) {
            // first: 'fix.jar ' is no .jar name only by what cannot be seen; ' fix.jar' is read by the
            // start-up loader, but a listing shows ' fix.jar' as fix.jar: an operator could not
            // tell which file is which, nor name it to uninstall without quoting what they cannot see
            throw new ParameterException(spec.commandLine(), "--as '" + Text.clean(as) + "' begins or ends with"
                    + " white space, which a listing of the directory does not show: give the name without it, e.g."
                    + " --as " + nameToGive(as));
        }
        if (as != null && !PatchDirectory.isPlainJarName(as)) {
            // the option's form alone is wrong, whatever the files hold: a usage error (exit 2), as build's
            // malformed values are, before the directory or the JAR is read; it was refused (exit 1) once
            // the directory had been found, as if the directory were at fault
            throw new ParameterException(spec.commandLine(), "--as '" + Text.clean(as) + "' is not a file name the"
                    + " start-up loader reads: use a name ending in .jar, without a directory, not starting with"
                    + " '.', e.g. --as 10-fix.jar");
        }
        if (as != null) {
            try {
                Path.of(as);
            } catch (java.nio.file.InvalidPathException e) {
                // a name this JVM's file-name encoding cannot hold (non-ASCII under LANG=C): malformed here as a
                // path argument is (PathArgument), not an error of the directory met once it is written to
                throw new ParameterException(spec.commandLine(), "--as '" + Text.clean(as) + "' cannot be used as a"
                        + " file name here: " + e.getReason() + ". This JVM names files in "
                        + System.getProperty("sun.jnu.encoding") + " (from the locale: LANG, LC_ALL); run the command"
                        + " in a UTF-8 locale (LANG=C.UTF-8), or give --as a name of ASCII characters");
            }
        }
        boolean verify = trust.given();
        PatchDirectory dir = new PatchDirectory(directory.toAbsolutePath().normalize());
        Path source = file.toAbsolutePath().normalize();
        String fileName = as != null ? as : String.valueOf(source.getFileName());
        if (as == null && PatchDirectory.hasEdgeSpace(fileName)) {
            throw new Refused("the JAR's file name '" + Text.clean(fileName) + "' begins or ends with white space,"
                    + " which a listing of the directory does not show: install it with --as <name.jar>, e.g. --as "
                    + nameToGive(fileName));
        }
        if (as == null && !PatchDirectory.isPlainJarName(fileName)) {
            throw new Refused("the start-up loader reads only files named *.jar: install "
                    + Text.clean(fileName) + " with --as <name.jar>");
        }
        Path target = dir.file(fileName);
        CheckedJar checked = CheckedJar.read(source);
        String name = checked.jar().name();
        String signed = "";
        if (verify) {
            try {
                Signature s = trust.verify(checked.bytes());
                signed = ", signed by " + Text.clean(s.signer());
            } catch (PatchException e) {
                throw new Refused(CheckedJar.refusal(e).getMessage() + "; nothing was installed", e);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (Files.exists(target)) {
            if (sameContent(target, checked.bytes().bytes(), checked.bytes().sha256())) {
                out.printf("'%s': %s holds it already (sha256 %s); nothing written%n", Text.clean(name),
                        Text.clean(target.toString()), checked.bytes().sha256());
                return Main.DONE;
            }
            if (!replace) {
                throw new Refused(Text.clean(target.toString()) + " exists with other content: add --replace to"
                        + " overwrite it, or --as <name.jar> to install under another name; nothing was installed");
            }
        }
        checkNameIsFree(dir, target, name);
        dir.write(target, checked.bytes().bytes(), replace);
        out.printf("'%s': installed as %s (sha256 %s%s)%n", Text.clean(name), Text.clean(target.toString()),
                checked.bytes().sha256(), signed);
        out.printf("  a JVM started with -javaagent:jlivepatch-agent.jar=patches=%s loads and enables it (with"
                + " watch=true, at once); 'jlivepatch load <pid> %s' patches a running one%n",
                Text.clean(dir.path().toString()), Text.clean(target.toString()));
        return Main.DONE;
    }

    /** Whether {@code target} already holds these bytes: installing them again changes nothing. */
    private static boolean sameContent(Path target, byte[] content, String sha256) {
        try {
            // the size first: a file of another size is not read at all, however large
            return Files.isRegularFile(target) && Files.size(target) == content.length
                    && Sha256.hex(Files.readAllBytes(target)).equals(sha256);
        } catch (IOException e) {
            return false; // unreadable: not known to be the same, and --replace decides
        }
    }

    /**
     * Refuses a second JAR of the same patch name: at start-up the second one would be refused
     * ({@code DUPLICATE_NAME}), so which one runs would depend on the file names.
     */
    private static void checkNameIsFree(PatchDirectory dir, Path target, String name) throws Refused {
        Map<Path, String> installed = dir.patches();
        for (Map.Entry<Path, String> e : installed.entrySet()) {
            if (name.equals(e.getValue()) && !e.getKey().getFileName().equals(target.getFileName())) {
                throw new Refused("patch '" + Text.clean(name) + "' is installed already as "
                        + Text.clean(e.getKey().toString()) + ": 'jlivepatch uninstall " + Text.clean(name) + " "
                        + Text.clean(dir.path().toString()) + "' first, or install with --as "
                        + Text.clean(String.valueOf(e.getKey().getFileName())) + " --replace; nothing was installed");
            }
        }
    }
}
