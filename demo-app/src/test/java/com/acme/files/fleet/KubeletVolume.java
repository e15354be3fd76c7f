package com.acme.files.fleet;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A local directory laid out and updated as the kubelet lays out and updates a mounted ConfigMap or
 * Secret volume, so that a test can do to a watched patch directory what Kubernetes does to it.
 *
 * <p>What the kubelet does is {@code AtomicWriter.Write} in kubernetes/kubernetes,
 * {@code pkg/volume/util/atomic_writer.go} (read for this class at
 * https://github.com/kubernetes/kubernetes/blob/master/pkg/volume/util/atomic_writer.go): the files
 * live in a hidden timestamped directory ({@code ..2026_12_01_20_00_00.123456789}, made with
 * {@code os.MkdirTemp(dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))}); {@code ..data} is
 * a symlink to it; each key is a symlink in the top directory, {@code fix.jar -> ..data/fix.jar}.
 * An update (steps 5 to 12 of its comment)
 * <ol>
 * <li>writes the whole new content into a new timestamped directory;</li>
 * <li>makes a symlink {@code ..data_tmp} to it and renames it over {@code ..data} ({@code rename(2)}:
 *     the one atomic step, after which every reader through {@code ..data} sees the new content
 *     whole);</li>
 * <li>creates the per-key symlinks of new keys, then removes those of keys that are gone;</li>
 * <li>removes the previous timestamped directory.</li>
 * </ol>
 * So between the swap and the end of the update, the top directory holds dangling symlinks (a key
 * removed: its link points into {@code ..data}, which no longer has it) or misses new ones: a
 * reader of the top-level symlinks sees half an update, a reader through {@code ..data} never does.
 * (Earlier versions of the same file, e.g. the one of 2016 to 2020, created the new keys' symlinks
 * before the swap instead, so that they dangled until it; through {@code ..data} that makes no
 * difference.)
 *
 * <p>Not thread-safe: one writer, as the kubelet serialises the updates of one volume.
 */
public final class KubeletVolume {

    static final String DATA = "..data";
    static final String DATA_TMP = "..data_tmp";
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("'..'yyyy_MM_dd_HH_mm_ss'.'");

    /** The moment of the atomic swap of an update, on both clocks a test compares with. */
    public record Swap(long nanoTime, long epochMillis) {
    }

    private final Path dir;

    private KubeletVolume(Path dir) {
        this.dir = dir;
    }

    /** The volume at {@code dir}, a directory that exists (as the kubelet's mount point does) and holds nothing else. */
    public static KubeletVolume at(Path dir) throws IOException {
        Files.createDirectories(dir);
        return new KubeletVolume(dir);
    }

    public Path dir() {
        return dir;
    }

    /**
     * Projects {@code files} (key: the file's name in the volume, value: its content) into the volume,
     * as one update of the ConfigMap: keys not given are removed. An empty map leaves an empty volume
     * (an empty timestamped directory behind {@code ..data}), as a ConfigMap with no keys does.
     *
     * @return when {@code ..data} was swapped
     */
    public Swap update(Map<String, byte[]> files) throws IOException {
        for (String key : files.keySet()) {
            if (key.isEmpty() || key.startsWith("..") || key.contains("/")) {
                throw new IllegalArgumentException("not a key the kubelet projects at the top: " + key);
            }
        }
        Path data = dir.resolve(DATA);
        Path oldTimestamped = Files.isSymbolicLink(data) ? dir.resolve(Files.readSymbolicLink(data)) : null;

        Path timestamped = Files.createTempDirectory(dir, TIMESTAMP.format(ZonedDateTime.now(ZoneOffset.UTC)));
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Files.write(timestamped.resolve(file.getKey()), file.getValue());
        }
        Path dataTmp = dir.resolve(DATA_TMP);
        Files.deleteIfExists(dataTmp); // a leftover of an update that failed half-way, as the kubelet's would be
        // relative, as the kubelet's: the volume is the same wherever it is mounted
        Files.createSymbolicLink(dataTmp, timestamped.getFileName());
        Files.move(dataTmp, data, StandardCopyOption.ATOMIC_MOVE);
        Swap swap = new Swap(System.nanoTime(), System.currentTimeMillis());

        for (String key : files.keySet()) {
            Path link = dir.resolve(key);
            if (!Files.isSymbolicLink(link)) {
                Files.createSymbolicLink(link, Path.of(DATA, key));
            }
        }
        try (DirectoryStream<Path> top = Files.newDirectoryStream(dir)) {
            for (Path entry : top) {
                String name = entry.getFileName().toString();
                if (!name.startsWith("..") && !files.containsKey(name)) {
                    Files.delete(entry);
                }
            }
        }
        if (oldTimestamped != null && !oldTimestamped.equals(timestamped)) {
            deleteTree(oldTimestamped);
        }
        return swap;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
