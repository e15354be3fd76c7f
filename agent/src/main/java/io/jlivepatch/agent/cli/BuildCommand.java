package io.jlivepatch.agent.cli;

import io.jlivepatch.BuildReport;
import io.jlivepatch.PatchBuild;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "build", mixinStandardHelpOptions = true,
        description = {"Make a patch JAR from two builds of an application, like kpatch-build: compare them method by"
                + " method and carry every changed method's new bytecode.",
                "Exit 1, and no output file, when a change cannot be live patched (one line per problem)."})
final class BuildCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--old", required = true, paramLabel = "<jar|dir>", description = "the running build")
    Path oldBuild;

    @Option(names = "--new", required = true, paramLabel = "<jar|dir>", description = "the fixed build")
    Path newBuild;

    @Option(names = "--name", paramLabel = "<name>", description = "the patch's name, [A-Za-z0-9_.-]{1,64}")
    String name;

    @Option(names = "--description", paramLabel = "<text>", defaultValue = "", description = "the patch's description")
    String description;

    @Option(names = "--include", paramLabel = "<pattern>", description = "compare only matching classes,"
            + " e.g. com.acme.* (repeatable)")
    List<String> includes = new ArrayList<>();

    @Option(names = "--hold", paramLabel = "<class.method(desc)>", description = "a method the patch does not"
            + " change that keeps a thread on the old or the new version of every patched method it calls while it"
            + " runs, e.g. com.acme.Worker.process(Ljava/lang/String;)V (repeatable; Livepatch-Hold)")
    List<String> holds = new ArrayList<>();

    @Option(names = {"-o", "--output"}, paramLabel = "<patch.jar>", description = "the patch JAR to write")
    Path output;

    @Option(names = "--dry-run", description = "print the report only")
    boolean dryRun;

    @Override
    public Integer call() throws Refused {
        PrintWriter out = spec.commandLine().getOut();
        if (!dryRun && (name == null || output == null)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--name and -o are required unless --dry-run is given");
        }
        for (Path p : List.of(oldBuild, newBuild)) {
            if (!Files.exists(p)) {
                throw new Refused(p + " does not exist: give a JAR or a directory of classes");
            }
        }
        PatchBuild build = PatchBuild.compare(oldBuild, newBuild).description(description);
        includes.forEach(build::include);
        BuildReport report;
        try {
            holds.forEach(build::hold);
            if (dryRun) {
                report = build.report();
            } else {
                report = build.name(name).writeTo(output);
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
            out.println("patch written: " + output);
        }
        return Main.DONE;
    }
}
