package io.jlivepatch.agent.cli;

import io.jlivepatch.BuildReport;
import io.jlivepatch.PatchBuild;
import io.jlivepatch.internal.build.Builder;
import io.jlivepatch.internal.jar.PatchJar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "build", mixinStandardHelpOptions = true,
        description = {"Make a patch JAR from two builds of an application, like kpatch-build: compare them method by"
                + " method and carry every changed method's new bytecode.",
                "A build is a JAR, a directory of classes, a Maven project (its target/classes), a Spring Boot fat"
                        + " JAR (BOOT-INF/classes and the JARs of BOOT-INF/lib) or a WAR (WEB-INF/classes and"
                        + " WEB-INF/lib), or a directory extracted from one; classes are named as the JVM names them,"
                        + " whatever the layout.",
                "--dry-run checks all that a build does and prints the same report, writing nothing.",
                "--source compiles the changed classes' sources against --old instead of taking a --new build: with"
                        + " this JDK's compiler, at the old classes' bytecode level, without annotation processing."
                        + " Give the sources of the changed classes only, and as --old the exact binary that runs:"
                        + " load refuses a patch on any other class file.",
                "Exit 1, and no output file, when a change cannot be live patched (one line per problem).",
                "--sign <keystore> --alias <alias> signs the JAR (the store's password from --storepass-env or"
                        + " --storepass-file), for JVMs started with a trust store."})
final class BuildCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--old", required = true, paramLabel = "<jar|dir>", description = "the running build: a JAR, a fat JAR, a WAR or a directory")
    Path oldBuild;

    @Option(names = "--new", paramLabel = "<jar|dir>", description = "the fixed build (or --source)")
    Path newBuild;

    @Option(names = "--source", paramLabel = "<file|dir>", description = "instead of --new: a changed class's .java"
            + " file, or a directory holding them, compiled against --old (repeatable)")
    List<Path> sources = new ArrayList<>();

    @Option(names = "--classpath", paramLabel = "<path>", description = "JARs or class directories the --source"
            + " files need besides --old (repeatable, or separated by the path separator)")
    List<String> classpath = new ArrayList<>();

    @Option(names = "--replace", description = "write a cumulative patch (Livepatch-Replace: true): loaded, it"
            + " replaces every patch before it")
    boolean replace;

    @Option(names = "--state", paramLabel = "<id:version>", description = "a system state the patch sets up or takes"
            + " over, for example 1:2 (repeatable; Livepatch-States)")
    List<String> states = new ArrayList<>();

    @Option(names = "--name", paramLabel = "<name>", description = "the patch's name, [A-Za-z0-9_.-]{1,64}")
    String name;

    @Option(names = "--description", paramLabel = "<text>", defaultValue = "", description = "the patch's description")
    String description;

    @Option(names = "--include", paramLabel = "<pattern>", description = "compare only matching classes,"
            + " e.g. com.acme.* (repeatable)")
    List<String> includes = new ArrayList<>();

    @Option(names = "--hold", paramLabel = "<class.method(desc)>", description = "a method the patch does not"
            + " change that keeps a thread on the old or the new version of every patched method it calls while it"
            // "%n  ": picocli indents the lines it wraps by two, not a line the text breaks itself; the example
            // on a line of its own, as wrapped it would be cut at its '('
            + " runs (repeatable; Livepatch-Hold), for example%n  com.acme.Worker.process(Ljava/lang/String;)V")
    List<String> holds = new ArrayList<>();

    @Option(names = {"-o", "--output"}, paramLabel = "<patch.jar>", description = "the patch JAR to write")
    Path output;

    @Option(names = "--dry-run", description = "print the report only")
    boolean dryRun;

    @Option(names = "--sign", paramLabel = "<keystore>", description = "sign the patch JAR with a key of this"
            + " PKCS12 or JKS keystore, as jarsigner does (needs --alias and the store's password)")
    Path signingStore;

    @Option(names = "--alias", paramLabel = "<alias>", description = "the signing key's alias in the --sign keystore")
    String alias;

    @Option(names = "--storepass-env", paramLabel = "<VAR>", description = "the environment variable holding the"
            + " keystore's password (never given on the command line, where ps shows it)")
    String storePasswordEnv;

    @Option(names = "--storepass-file", paramLabel = "<file>", description = "a file whose first line is the"
            + " keystore's password")
    Path storePasswordFile;

    @Option(names = "--keypass-env", paramLabel = "<VAR>", description = "the environment variable holding the"
            + " key's password, when it is not the keystore's")
    String keyPasswordEnv;

    @Option(names = "--keypass-file", paramLabel = "<file>", description = "a file whose first line is the key's"
            + " password, when it is not the keystore's")
    Path keyPasswordFile;

    @Override
    public Integer call() throws Refused {
        PrintWriter out = spec.commandLine().getOut();
        if (!dryRun && (name == null || output == null)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--name and -o are required unless --dry-run is given");
        }
        checkValues();
        PatchBuild build = newBuild();
        build.description(description);
        states(build);
        if (replace) {
            build.replaceAll();
        }
        PatchSigner signer = signer();
        for (Path p : newBuild == null ? List.of(oldBuild) : List.of(oldBuild, newBuild)) {
            if (!Files.exists(p)) {
                throw new Refused(p + " does not exist: give a JAR (a plain JAR, a Spring Boot fat JAR or a WAR), a"
                        + " directory of classes or a Maven project");
            }
        }
        includes.forEach(build::include);
        holds.forEach(build::hold); // checked by checkValues
        BuildReport report;
        try {
            if (dryRun) {
                report = build.dryRun(); // refuses what the real build refuses: they must agree
            } else if (signer == null) {
                report = build.name(name).writeTo(output);
            } else {
                report = writeSigned(build.name(name), signer);
            }
        } catch (IOException e) {
            throw new Refused(e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new Refused(e.getMessage(), e);
        }
        report.lines().forEach(out::println);
        if (report.refused()) {
            return Main.REFUSED;
        }
        if (!dryRun) {
            out.println("patch written: " + output + (signer == null ? "" : ", signed by " + signer.subject()));
        }
        return Main.DONE;
    }

    /**
     * The values whose form alone is wrong, whatever the builds hold: a usage error (exit 2), as a
     * malformed {@code --state} is, before anything is read. They were refused (exit 1) only once the
     * build ran, as if the builds were at fault.
     */
    private void checkValues() {
        if (name != null && !io.jlivepatch.Patch.isValidName(name)) {
            throw usage("--name '" + name + "' is not a patch name: use 1 to 64 characters from [A-Za-z0-9_.-],"
                    + " e.g. --name fix-traversal");
        }
        for (String hold : holds) {
            try {
                io.jlivepatch.Patch.Hold.parse(hold);
            } catch (IllegalArgumentException e) {
                throw usage("--hold " + e.getMessage());
            }
        }
    }

    /** {@code --new}, or {@code --source} with its {@code --classpath}: one of the two. */
    private PatchBuild newBuild() {
        if ((newBuild == null) == sources.isEmpty()) {
            throw usage(newBuild == null ? "give the fixed build: --new <jar|dir>, or --source <file|dir> to compile it"
                    : "give --new or --source, not both: --source compiles the new build from sources");
        }
        if (newBuild != null) {
            if (!classpath.isEmpty()) {
                throw usage("--classpath goes with --source: it is what the sources are compiled against");
            }
            return PatchBuild.compare(oldBuild, newBuild);
        }
        PatchBuild build = PatchBuild.compile(oldBuild, sources);
        for (Path entry : classpathEntries()) {
            build.classpath(entry);
        }
        return build;
    }

    /** The {@code --classpath} entries, each option split at the path separator. */
    private List<Path> classpathEntries() {
        List<Path> entries = new ArrayList<>();
        for (String option : classpath) {
            for (String entry : option.split(java.io.File.pathSeparator)) {
                if (!entry.isEmpty()) {
                    entries.add(Path.of(entry));
                }
            }
        }
        return entries;
    }

    /**
     * {@code --state id:version}, read as core reads {@code Livepatch-States}; the values checked
     * by {@link PatchBuild#state}, so that both say the same.
     */
    private void states(PatchBuild build) {
        for (String s : states) {
            PatchJar.StatePair p = PatchJar.StatePair.parse(s);
            if (p == null) {
                throw usage("--state '" + s + "' " + (PatchJar.StatePair.outOfRange(s) ? "has a number out of range ("
                        + PatchJar.StatePair.RANGE + ")" : "is not id:version") + ": give the state's id and version as"
                        + " numbers, e.g. --state 1:2");
            }
            try {
                build.state(p.id(), p.version());
            } catch (IllegalArgumentException e) {
                throw usage("--state '" + s + "': " + e.getMessage());
            }
        }
    }

    /**
     * The key of {@code --sign}, opened before anything is built; {@code null} without {@code --sign}.
     * The passwords come from the environment or a file, never from the command line.
     */
    private PatchSigner signer() throws Refused {
        boolean signing = signingStore != null;
        if (!signing && (alias != null || storePasswordEnv != null || storePasswordFile != null
                || keyPasswordEnv != null || keyPasswordFile != null)) {
            throw usage("--alias, --storepass-* and --keypass-* go with --sign <keystore>");
        }
        if (!signing) {
            return null;
        }
        if (dryRun) {
            throw usage("--sign signs the JAR written: it does not go with --dry-run, which writes none");
        }
        if (alias == null) {
            throw usage("--sign needs --alias <alias>: the signing key's alias in " + signingStore);
        }
        char[] storePassword = password("keystore", storePasswordEnv, storePasswordFile, "--storepass-env",
                "--storepass-file");
        if (storePassword == null) {
            throw usage("--sign needs the keystore's password: --storepass-env <VAR> or --storepass-file <file>"
                    + " (never on the command line, where ps shows it)");
        }
        char[] keyPassword = password("key", keyPasswordEnv, keyPasswordFile, "--keypass-env", "--keypass-file");
        try {
            return PatchSigner.open(signingStore, alias, storePassword, keyPassword == null ? storePassword
                    : keyPassword, GivenPassword.of("--storepass-env", storePasswordEnv, "--storepass-file",
                    storePasswordFile), GivenPassword.of("--keypass-env", keyPasswordEnv, "--keypass-file",
                    keyPasswordFile));
        } finally {
            Arrays.fill(storePassword, '\0');
            if (keyPassword != null) {
                Arrays.fill(keyPassword, '\0');
            }
        }
    }

    /** A password from the environment variable {@code env} or the first line of {@code file}; {@code null} if neither is given. */
    private char[] password(String what, String env, Path file, String envOption, String fileOption) throws Refused {
        if (env != null && file != null) {
            throw usage("give the " + what + " password once: " + envOption + " or " + fileOption);
        }
        if (env != null) {
            String value = System.getenv(env);
            if (value == null) {
                throw new Refused("environment variable " + env + " (" + envOption + ") is not set: export it with"
                        + " the " + what + " password");
            }
            return value.toCharArray();
        }
        if (file != null) {
            try {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                return lines.isEmpty() ? new char[0] : lines.get(0).toCharArray();
            } catch (IOException e) {
                throw new Refused(what + " password file " + file + " (" + fileOption + ") cannot be read (" + e
                        + "): check the path and its permissions", e);
            }
        }
        return null;
    }

    /**
     * Builds into a file of a directory of its own, signs that into the output, and removes both: a
     * failure leaves no output. Not beside the output: the signer opens the built JAR again by its path,
     * and there anyone who may write the output's directory (a shared build directory) could rename
     * another JAR over it first and have it signed with this key. The temporary directory is owner-only
     * on POSIX systems (Files.createTempDirectory), so nobody else can put a file in its place.
     */
    private BuildReport writeSigned(PatchBuild build, PatchSigner signer) throws IOException {
        // as PatchBuild.writeTo refuses it: the signed JAR's move into place would replace a directory or a build
        List<Path> inputs = new ArrayList<>(List.of(oldBuild));
        if (newBuild != null) {
            inputs.add(newBuild);
        } else {
            inputs.addAll(sources); // a fix's source file is lost as surely as a build's class file
            inputs.addAll(classpathEntries());
        }
        Builder.checkOutput(output, name, inputs);
        Path scratch = Files.createTempDirectory("jlivepatch-build");
        Path unsigned = scratch.resolve(output.getFileName() + ".unsigned");
        try {
            BuildReport report = build.writeTo(unsigned);
            if (!report.refused()) {
                signer.sign(unsigned, output);
            }
            return report;
        } finally {
            Files.deleteIfExists(unsigned);
            try {
                Files.deleteIfExists(scratch);
            } catch (IOException e) {
                // not empty (a writer's leftover): an owner-only directory in the temporary directory, harmless
            }
        }
    }

    private picocli.CommandLine.ParameterException usage(String message) {
        return new picocli.CommandLine.ParameterException(spec.commandLine(), message);
    }
}
