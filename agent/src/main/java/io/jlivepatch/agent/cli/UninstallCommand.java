package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "uninstall", mixinStandardHelpOptions = true,
        description = "Remove a patch JAR from the start-up directory, by file name or by patch name; a JVM"
                + " watching the directory (watch=true) takes it off at once; another keeps it until 'jlivepatch"
                + " unload' or its next start.")
final class UninstallCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<name.jar|patch-name>",
            description = "the JAR's file name in <dir>, or its patch name (Livepatch-Name)")
    String which;

    @Parameters(index = "1", paramLabel = "<dir>", description = "the start-up directory (patches=<dir>)")
    Path directory;

    @Override
    public Integer call() throws Refused {
        PatchDirectory dir = new PatchDirectory(directory.toAbsolutePath().normalize());
        Map<Path, String> installed = dir.patches();
        Path file = which.endsWith(".jar") ? byFileName(dir, installed) : byPatchName(dir, installed);
        String name = installed.get(file);
        dir.delete(file);
        spec.commandLine().getOut().printf("removed %s%s; a JVM watching the directory takes it off at once, another"
                + " keeps it until 'jlivepatch unload <pid> %s' or its next start%n", Text.clean(file.toString()),
                name == null ? "" : " (patch '" + Text.clean(name) + "')", name == null ? "<patch>" : Text.clean(name));
        return Main.DONE;
    }

    private Path byFileName(PatchDirectory dir, Map<Path, String> installed) throws Refused {
        Path file = dir.file(which);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(file)) {
            throw new Refused("no " + Text.clean(which) + " in " + Text.clean(dir.path().toString()) + " (installed: "
                    + PatchDirectory.describe(installed) + "); nothing was removed: name an installed .jar file or its"
                    + " patch name");
        }
        return file;
    }

    private Path byPatchName(PatchDirectory dir, Map<Path, String> installed) throws Refused {
        List<Path> matches = new ArrayList<>();
        for (Map.Entry<Path, String> e : installed.entrySet()) {
            if (which.equals(e.getValue())) {
                matches.add(e.getKey());
            }
        }
        if (matches.isEmpty()) {
            throw new Refused("no patch '" + Text.clean(which) + "' is installed in " + Text.clean(dir.path().toString())
                    + " (installed: " + PatchDirectory.describe(installed) + "); name a patch or a .jar file of it");
        }
        if (matches.size() > 1) {
            List<String> files = new ArrayList<>();
            for (Path p : matches) {
                files.add(String.valueOf(p.getFileName()));
            }
            throw new Refused("patch '" + Text.clean(which) + "' is installed " + matches.size() + " times ("
                    + Text.clean(String.join(", ", files)) + "): uninstall the one meant by its file name");
        }
        return matches.get(0);
    }
}
