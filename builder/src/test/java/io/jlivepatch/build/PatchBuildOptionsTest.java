package io.jlivepatch.build;

import io.jlivepatch.Patch;
import io.jlivepatch.PatchBuild;
import io.jlivepatch.internal.jar.PatchJar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link PatchBuild#replaceAll()} and {@link PatchBuild#state}: written as the patch JAR reader reads them. */
class PatchBuildOptionsTest {

    @TempDir
    Path dir;

    @Test
    void aCumulativePatchWithStatesReadsBackAsWritten() throws Exception {
        Path out = dir.resolve("fix.jar");
        PatchBuild.compare(Corpus.build("supported", "body", "old"), Corpus.build("supported", "body", "new"))
                .name("fix").replaceAll().state(7, 1).state(0, 3).writeTo(out);
        PatchJar jar = PatchJar.read(out);
        assertTrue(jar.replace());
        assertEquals(List.of(new Patch.State(7, 1), new Patch.State(0, 3)), jar.states(), "in the order given");

        Path plain = dir.resolve("plain.jar");
        PatchBuild.compare(Corpus.build("supported", "body", "old"), Corpus.build("supported", "body", "new"))
                .name("plain").writeTo(plain);
        assertFalse(PatchJar.read(plain).replace());
        assertEquals(List.of(), PatchJar.read(plain).states());
    }

    @Test
    void badStatesAreRefusedAsPatchStateRefusesThem() {
        PatchBuild b = PatchBuild.compare(dir, dir);
        assertEquals("state id -1 is negative: use an id of 0 or more",
                assertThrows(IllegalArgumentException.class, () -> b.state(-1, 1)).getMessage());
        assertEquals("state 2 has version 0: versions start at 1",
                assertThrows(IllegalArgumentException.class, () -> b.state(2, 0)).getMessage());
        b.state(2, 1);
        assertEquals("state 2 is given twice: give each state id one version",
                assertThrows(IllegalArgumentException.class, () -> b.state(2, 2)).getMessage());
    }

    @Test
    void classpathIsForSourceBuildsOnly() {
        assertThrows(IllegalStateException.class, () -> PatchBuild.compare(dir, dir).classpath(dir));
        assertThrows(IllegalArgumentException.class, () -> PatchBuild.compile(dir, List.of()));
    }
}
