package io.jlivepatch.agent;

import io.jlivepatch.internal.Log;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.PatchRegistry;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The kpatch service: at start-up, load and enable every patch JAR of a directory in file-name
 * order, so that classes are patched as they load. A bad JAR is logged and skipped; one whose
 * classes no class loader can load yet waits for one ({@link WaitingStartupPatches}), and the JARs
 * after it wait behind it. The next JAR is read and prepared on another thread while one registers
 * and enables ({@link JarsAhead}); what happens, and in what order, is as if each were loaded in turn.
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
        List<Path> waiting = new ArrayList<>();
        // Two JARs or more: the next one is prepared while this one registers and enables. One JAR
        // has nothing to overlap with (and a JVM with one start-up patch loads no class more).
        PatchRegistry registry = PatchRegistry.installed();
        JarsAhead ahead = jars.size() > 1 && registry != null ? JarsAhead.start(registry, jars) : null;
        try {
            loadInOrder(lp, registry, ahead, jars, waiting);
        } finally {
            if (ahead != null) {
                ahead.stop();
            }
        }
        if (!waiting.isEmpty()) { // its class is loaded only then (FootprintIT)
            WaitingStartupPatches.start(lp, waiting);
        }
    }

    private static void loadInOrder(Livepatch lp, PatchRegistry registry, JarsAhead ahead, List<Path> jars,
                                    List<Path> waiting) {
        for (int i = 0; i < jars.size(); i++) {
            Path jar = jars.get(i);
            if (!waiting.isEmpty()) {
                // Behind a JAR that waits for its class loader: the stack keeps the file-name order.
                Log.get().log(System.Logger.Level.WARNING, jar + " waits behind " + waiting.get(0) + ", which waits"
                        + " for its class loader");
                waiting.add(jar);
                continue;
            }
            PatchHandle h = null;
            try {
                PatchRegistry.Ahead prepared = ahead == null ? null : ahead.take(i);
                h = prepared == null ? lp.load(jar) : registry.load(prepared);
                h.enable();
                Log.get().log(System.Logger.Level.INFO, "'" + h.name() + "': loaded from " + jar + " at start-up");
            } catch (PatchException e) {
                if (h == null && io.jlivepatch.internal.jar.PatchJarLoader.waitsForItsLoader(e)) {
                    Log.get().log(System.Logger.Level.WARNING, "'" + e.patchName() + "' from " + jar + " waits for a"
                            + " class loader that can load its classes (" + e.getCause() + "): a Spring Boot fat JAR's"
                            + " or an application server's loader is made after start-up; it is loaded as soon as"
                            + " one can load them");
                    waiting.add(jar);
                    if (ahead != null) {
                        ahead.stop(); // the JARs after this one wait behind it: nothing more to prepare now
                    }
                    continue;
                }
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
