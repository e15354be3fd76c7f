package io.jlivepatch.internal.watch;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.jar.Jars;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Patch JARs of the watch tests (watchapp.fix.Greeting A, B, C) and what to look at after a reconcile. */
final class WatchFixture {

    static final String TARGET = "watchapp.Greeting";

    private WatchFixture() {
    }

    static PatchRegistry registry() {
        Jars.lp();
        return PatchRegistry.installed();
    }

    /** Writes patch JAR {@code file} into {@code dir}: patch {@code name} whose greet is {@code Greeting<variant>}'s. */
    static Path jar(Path dir, String file, String name, String variant) throws IOException {
        return jar(dir, file, name, variant, false, "a test patch");
    }

    static Path jar(Path dir, String file, String name, String variant, boolean cumulative, String description)
            throws IOException {
        String patchClass = "watchapp.fix.Greeting" + variant;
        Map<String, String> manifest = Jars.manifest(name, patchClass);
        manifest.put("Livepatch-Description", description);
        if (cumulative) {
            manifest.put("Livepatch-Replace", "true");
        }
        return Jars.write(dir.resolve(file), manifest, Jars.classes(patchClass));
    }

    /** Sets a file's modification time back, so that a broken file is not taken for one still being written. */
    static void settle(Path file) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(60)));
    }

    static PatchDirectoryWatch watch(Path dir) {
        return watch(dir, Duration.ofSeconds(30));
    }

    static PatchDirectoryWatch watch(Path dir, Duration timeout) {
        return new PatchDirectoryWatch(registry(), new WatchOptions(dir, Duration.ofSeconds(3600), timeout));
    }

    /** The stack as {@code name} or {@code name(disabled)}, bottom first. */
    static List<String> stack() {
        List<String> names = new ArrayList<>();
        for (PatchHandle h : registry().patches()) {
            names.add(h.name() + (h.isEnabled() ? "" : "(disabled)") + (h.inTransition() ? "(transition)" : ""));
        }
        return names;
    }

    static String greet() throws InterruptedException {
        return watchapp.Greeting.greet("x");
    }

    /**
     * The audit entries since {@code from} (the log is bounded and shared by every test of this JVM:
     * by time, not by index), as {@code operation patch by requester: outcome}.
     */
    static List<String> auditSince(Instant from) {
        return registry().audit().entries().stream().filter(e -> !e.time().isBefore(from))
                .map(e -> e.operation() + " " + e.patch() + " by " + e.requester() + ": " + e.outcome())
                .collect(Collectors.toList());
    }

    static void removeAll() throws PatchException {
        Jars.removeAll();
    }
}
