package io.jlivepatch.agent;

import io.jlivepatch.internal.Log;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The kpatch service: at start-up, load and enable every patch JAR of a directory in file-name
 * order, so that classes are patched as they load. A bad JAR is logged and skipped.
 */
final class StartupPatches {


    private StartupPatches() {
    }

    static void loadAll(Livepatch lp, Path dir) {
        // A plain loop, not a stream: each stream stage and lambda defines classes in the target (issue 10).
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (p.getFileName().toString().endsWith(".jar")) {
                    jars.add(p);
                }
            }
            jars.sort(null);
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
                Log.get().log(System.Logger.Level.INFO, "'" + h.name() + "': loaded from " + jar + " at start-up");
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
