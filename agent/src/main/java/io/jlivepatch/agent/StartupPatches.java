package io.jlivepatch.agent;

import io.jlivepatch.internal.Log;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.core.StartupJars;

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
 * after it wait behind it.
 */
final class StartupPatches {

    /** What status says of a JAR that waits for its class loader. */
    static final String WAITS_FOR_LOADER = "for a class loader that can load its classes";

    /**
     * Whether a JAR was recorded in {@link StartupJars} as not loaded: only then is a load told to it,
     * so that a start-up where every JAR loads never loads that class (FootprintIT). Set before the
     * record, read after a load; a load that misses it finds nothing to remove.
     */
    private static volatile boolean recorded;

    private StartupPatches() {
    }

    /** Loads the JARs of {@code dir} on the account of {@link Requester#current()}. */
    static void loadAll(Livepatch lp, Path dir) {
        // The log says when the JARs came: an attach's patches= is not the JVM's start-up.
        String when = Requester.ATTACH.equals(Requester.current()) ? "by an attach's patches=" : "at start-up";
        // A plain loop, not a stream: each stream stage and lambda defines classes in the target (issue 10).
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                // The names a watch of this directory reads (WatchedDirectory.ignored): a dot-file is
                // an editor's or a copying tool's, never a patch, at start-up as later.
                if (name.endsWith(".jar") && !name.startsWith(".")) {
                    jars.add(p);
                }
            }
            jars.sort(null);
        } catch (IOException e) {
            String why = "patch directory " + dir + " cannot be read (" + e + "); no patch loaded " + when;
            Log.get().log(System.Logger.Level.ERROR, why);
            // On record too: none of the patches asked for runs (a path mistyped, a volume not mounted
            // yet), which the trail must say as it says a refused JAR.
            try {
                io.jlivepatch.internal.core.PatchRegistry.installed().audit("load", dir.toString(),
                        "refused " + PatchException.Reason.INVALID_ARGUMENT + ": " + why + ": check patches=<dir>");
            } catch (RuntimeException | LinkageError ignored) {
                // logged above; only its record is missing
            }
            // And in status, where the operator looks first: "no patches registered" alone gave no reason.
            skipped(dir, Requester.current(), PatchException.Reason.INVALID_ARGUMENT + ": " + why + ": check patches=<dir>");
            return;
        }
        if (!jars.isEmpty()) {
            Log.linesComing(); // each JAR logs at least one line
        }
        List<Path> waiting = new ArrayList<>();
        for (Path jar : jars) {
            if (!waiting.isEmpty()) {
                // Behind a JAR that waits for its class loader: the stack keeps the file-name order.
                Log.get().log(System.Logger.Level.WARNING, jar + " waits behind " + waiting.get(0) + ", which waits"
                        + " for its class loader");
                // On record too: a JAR asked for and not loaded (yet), which the trail must say as the log does.
                try {
                    io.jlivepatch.internal.core.PatchRegistry.installed().audit("load", jar.toString(), "waiting: behind "
                            + waiting.get(0) + ", which waits for its class loader; loaded in order once one can load"
                            + " its classes");
                } catch (RuntimeException | LinkageError ignored) {
                    // logged above; only its record is missing
                }
                waiting(jar, Requester.current(), behind(waiting.get(0)));
                waiting.add(jar);
                continue;
            }
            PatchHandle h = null;
            try {
                h = lp.load(jar);
                h.enable();
                Log.get().log(System.Logger.Level.INFO, "'" + h.name() + "': loaded from " + jar + " " + when);
                loaded(jar); // skipped by an earlier patches= (an attach's) and loaded now
            } catch (PatchException e) {
                if (h == null && io.jlivepatch.internal.jar.PatchJarLoader.waitsForItsLoader(e)) {
                    Log.get().log(System.Logger.Level.WARNING, "'" + e.patchName() + "' from " + jar + " waits for a"
                            + " class loader that can load its classes (" + e.getCause() + "): a Spring Boot fat JAR's"
                            + " or an application server's loader is made after start-up; it is loaded as soon as"
                            + " one can load them");
                    waiting(jar, Requester.current(), WAITS_FOR_LOADER);
                    waiting.add(jar);
                    continue;
                }
                Log.get().log(System.Logger.Level.ERROR, "skipping " + jar + ": " + e.getMessage());
                skipped(jar, Requester.current(), e.reason() + ": " + e.getMessage());
                if (h != null) {
                    try {
                        h.unregister();
                    } catch (PatchException ignored) {
                        // still registered, disabled: visible in status
                    }
                }
            } catch (RuntimeException | LinkageError e) {
                Log.get().log(System.Logger.Level.ERROR, "skipping " + jar + ": " + e, e);
                skipped(jar, Requester.current(), e.toString());
            }
        }
        if (!waiting.isEmpty()) { // its class is loaded only then (FootprintIT)
            // Retried on the account of the channel this runs for: the start-up, or an attach's patches=.
            WaitingStartupPatches.start(lp, waiting, Requester.current());
        }
    }

    /** What status says of a JAR that waits behind {@code first}, which waits for its class loader. */
    static String behind(Path first) {
        return "behind " + first + ", which waits for its class loader";
    }

    /** Status lists {@code jar} as skipped for {@code reason} ({@link StartupJars}); never throws. */
    static void skipped(Path jar, String requester, String reason) {
        recorded = true;
        try {
            StartupJars.skipped(jar.toString(), requester, reason);
        } catch (RuntimeException | LinkageError ignored) {
            // logged and audited already; only status misses it
        }
    }

    /** Status lists {@code jar} as waiting ({@link StartupJars}); never throws. */
    static void waiting(Path jar, String requester, String reason) {
        recorded = true;
        try {
            StartupJars.waiting(jar.toString(), requester, reason);
        } catch (RuntimeException | LinkageError ignored) {
            // logged and audited already; only status misses it
        }
    }

    /** Status no longer lists {@code jar}, if it did. */
    static void loaded(Path jar) {
        if (!recorded) {
            return;
        }
        try {
            StartupJars.loaded(jar.toString());
        } catch (RuntimeException | LinkageError ignored) {
            // status keeps an entry that the patch list contradicts
        }
    }
}
