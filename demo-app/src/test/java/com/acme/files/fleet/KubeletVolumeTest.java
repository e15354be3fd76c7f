package com.acme.files.fleet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The layout {@link KubeletVolume} leaves after each update is the kubelet's. */
class KubeletVolumeTest {

    @TempDir
    Path tmp;

    @Test
    void eachUpdateSwapsDataToANewTimestampedDirectoryAndKeepsOneLinkPerKey() throws Exception {
        KubeletVolume volume = KubeletVolume.at(tmp.resolve("vol"));
        Path dir = volume.dir();

        volume.update(Map.of("a.jar", new byte[] {1}));
        Path first = Files.readSymbolicLink(dir.resolve("..data"));
        assertTrue(first.getFileName().toString().matches("\\.\\.\\d{4}_\\d\\d_\\d\\d_\\d\\d_\\d\\d_\\d\\d\\.\\d+"), first.toString());
        assertFalse(first.isAbsolute(), "relative, as the kubelet's");
        assertEquals(Path.of("..data", "a.jar"), Files.readSymbolicLink(dir.resolve("a.jar")));
        assertArrayEquals(new byte[] {1}, Files.readAllBytes(dir.resolve("a.jar")));
        assertEquals(List.of(first.toString(), "..data", "a.jar"), entries(dir));

        volume.update(Map.of("b.jar", new byte[] {2}));
        Path second = Files.readSymbolicLink(dir.resolve("..data"));
        assertFalse(second.equals(first));
        assertEquals(List.of(second.toString(), "..data", "b.jar"), entries(dir), "a.jar, its link and the old directory are gone");
        assertArrayEquals(new byte[] {2}, Files.readAllBytes(dir.resolve("b.jar")));

        volume.update(Map.of());
        Path third = Files.readSymbolicLink(dir.resolve("..data"));
        assertEquals(List.of(third.toString(), "..data"), entries(dir));
        assertEquals(List.of(), entries(dir.resolve("..data")), "an empty ConfigMap: an empty directory behind ..data");
    }

    private static List<String> entries(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
