package io.jlivepatch.agent;

import io.jlivepatch.internal.Log;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The kpatch service: at start-up, load and enable every patch JAR of a directory in file-name
 * order, so that classes are patched as they load. A bad JAR is logged and skipped.
 */
final class StartupPatches {


    private StartupPatches() {
    }

    static void loadAll(Livepatch lp, Path dir) {
        List<Path> jars;
        try (Stream<Path> s = Files.list(dir)) {
            jars = s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            Log.get().log(System.Logger.Level.ERROR, "patch directory " + dir + " cannot be read (" + e
                    + "); no patch loaded at start-up");
            return;
        }
        for (Path jar : jars) {
            PatchHandle h = null;
            try {
                h = lp.load(jar);
                h.enable();
                Log.get().log(System.Logger.Level.INFO, "''{0}'': loaded from {1} at start-up", h.name(), jar);
            } catch (PatchException e) {
                Log.get().log(System.Logger.Level.ERROR, "skipping " + jar + ": " + e.getMessage());
                if (h != null) {
                    try {
                        h.unregister();
                    } catch (PatchException ignored) {
                        // still registered, disabled: visible in status
                    }
                }
            } catch (RuntimeException | LinkageError e) {
                Log.get().log(System.Logger.Level.ERROR, "skipping " + jar + ": " + e, e);
            }
        }
    }
}
