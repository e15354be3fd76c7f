package io.jlivepatch.internal.watch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

import static io.jlivepatch.internal.watch.WatchFixture.greet;
import static io.jlivepatch.internal.watch.WatchFixture.jar;
import static io.jlivepatch.internal.watch.WatchFixture.stack;
import static io.jlivepatch.internal.watch.WatchFixture.watch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A ConfigMap volume as the kubelet updates it (its AtomicWriter): the files of each version in a
 * timestamped directory, {@code ..data} a symlink to the current one, each key a symlink
 * {@code key -> ..data/key}; an update writes the new timestamped directory, points
 * {@code ..data_tmp} at it and renames that over {@code ..data} (the one atomic step), then adds
 * and removes the keys' symlinks and deletes the old directory. A reading at any point between those
 * steps sees one whole version.
 */
class KubeletVolumeTest {

    @TempDir
    Path volume;
    @TempDir
    Path staging;

    private int version;

    @AfterEach
    void cleanUp() throws Exception {
        WatchFixture.removeAll();
    }

    /** A reading taken between the kubelet's steps: after the {@code ..data} swap, before the key links change. */
    private interface Between {
        void run() throws Exception;
    }

    /** Publishes {@code files} (key to a file in staging) as the volume's next version, running {@code between} mid-way. */
    private void update(Map<String, Path> files, Between between) throws Exception {
        Path old = Files.isSymbolicLink(volume.resolve("..data")) ? volume.resolve("..data").toRealPath() : null;
        Path ts = Files.createDirectory(volume.resolve("..2026_12_01_20_00_00." + (++version)));
        for (Map.Entry<String, Path> f : files.entrySet()) {
            Files.copy(f.getValue(), ts.resolve(f.getKey()));
        }
        Path tmp = Files.createSymbolicLink(volume.resolve("..data_tmp"), ts.getFileName());
        Files.move(tmp, volume.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        between.run();
        try (var keys = Files.list(volume)) {
            for (Path k : (Iterable<Path>) keys::iterator) {
                String name = k.getFileName().toString();
                if (!name.startsWith("..") && !files.containsKey(name)) {
                    Files.delete(k);
                }
            }
        }
        for (String key : files.keySet()) {
            if (!Files.isSymbolicLink(volume.resolve(key))) {
                Files.createSymbolicLink(volume.resolve(key), Path.of("..data").resolve(key));
            }
        }
        if (old != null) {
            deleteTree(old);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }

    @Test
    void eachReadingSeesOneWholeVersionOfTheVolume() throws Exception {
        Path a = jar(staging, "a.jar", "watch-a", "A");
        Path b = jar(staging, "b.jar", "watch-b", "B");
        Path c = jar(staging, "c.jar", "watch-c", "C", true, "cumulative");
        PatchDirectoryWatch w = watch(volume);

        update(Map.of("10-a.jar", a, "20-b.jar", b), () -> {
            w.reconcile(); // ..data points at version 1, no key link exists yet
            assertEquals(List.of("watch-a", "watch-b"), stack());
        });
        w.reconcile();
        assertEquals(List.of("watch-a", "watch-b"), stack());
        assertEquals("B x", greet());

        // Version 2 drops 20-b.jar and adds a cumulative patch: mid-way, the old key links still
        // point through ..data into version 2, where 20-b.jar is gone.
        update(Map.of("10-a.jar", a, "30-c.jar", c), () -> {
            w.reconcile();
            assertEquals(List.of("watch-c"), stack());
        });
        w.reconcile();
        assertEquals(List.of("watch-c"), stack());
        assertEquals("converged; ignoring 10-a.jar ('watch-a' is replaced by cumulative patch 'watch-c' of 30-c.jar)",
                w.status().state());
        assertEquals(volume.resolve("30-c.jar").toString(),
                WatchFixture.registry().provenance(WatchFixture.registry().find("watch-c").orElseThrow()).source(),
                "the source is the path people see, not the timestamped directory's");

        update(Map.of(), () -> { });
        w.reconcile();
        assertEquals(List.of(), stack(), "a rollback: the key removed from the ConfigMap");
        assertEquals("hello x", greet());
    }

    @Test
    void aReadingOfTheOldVersionWhileTheKubeletDeletesItIsNotActedOn() throws Exception {
        Path a = jar(staging, "a.jar", "watch-a", "A");
        Path b = jar(staging, "b.jar", "watch-b", "B");
        update(Map.of("10-a.jar", a, "20-b.jar", b), () -> { });
        Path old = volume.resolve("..data").toRealPath();
        // The kubelet acts after the reading resolved ..data, before it lists: swap to a new version
        // (the same files), then delete the old directory's files, one of them so far.
        Runnable kubeletMidway = () -> {
            try {
                Path ts = Files.createDirectory(volume.resolve("..2026_12_01_21_00_00.1"));
                Files.copy(a, ts.resolve("10-a.jar"));
                Files.copy(b, ts.resolve("20-b.jar"));
                Path tmp = Files.createSymbolicLink(volume.resolve("..data_tmp"), ts.getFileName());
                Files.move(tmp, volume.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
                Files.delete(old.resolve("20-b.jar"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        DirectorySnapshot s = new WatchedDirectory(volume, System::currentTimeMillis, kubeletMidway).read();
        assertEquals(DirectorySnapshot.Kind.WAITING, s.kind(), s.toString());
        assertEquals("patch directory " + volume + " changed while it was read (its ..data moved)", s.why());

        DirectorySnapshot after = new WatchedDirectory(volume).read();
        assertEquals("watch-a watch-b", after.desiredNames(), "read again: the new version, whole");
    }

    @Test
    void aDataLinkThatLeadsNowhereFailsAndChangesNothing() throws Exception {
        Files.createSymbolicLink(volume.resolve("..data"), Path.of("..data"));
        DirectorySnapshot loop = new WatchedDirectory(volume).read();
        assertEquals(DirectorySnapshot.Kind.FAILED, loop.kind());
        assertTrue(loop.why().startsWith(volume.resolve("..data") + " is a symbolic link that does not lead to a"
                + " directory"), loop.why());
        Files.delete(volume.resolve("..data"));
        Files.writeString(volume.resolve("..file"), "x");
        Files.createSymbolicLink(volume.resolve("..data"), Path.of("..file"));
        assertEquals(DirectorySnapshot.Kind.FAILED, new WatchedDirectory(volume).read().kind());
    }
}
