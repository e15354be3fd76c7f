package io.jlivepatch.build;

import io.jlivepatch.BuildReport;
import io.jlivepatch.PatchBuild;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jlivepatch build --hold}: written as {@code Livepatch-Hold}, checked against the new build. */
class BuildHoldTest {

    private static final String RUN = "com.acme.body.Driver.run(Ljava/lang/String;)Ljava/lang/String;";

    @TempDir
    Path dir;

    private static PatchBuild body() {
        return PatchBuild.compare(Corpus.build("supported", "body", "old"), Corpus.build("supported", "body", "new"));
    }

    @Test
    void holdsAreWrittenToTheManifestInOrder() throws Exception {
        Path jar = dir.resolve("held.jar");
        BuildReport r = body().name("fix-price").hold(RUN).hold("com.acme.Elsewhere.serve()V").writeTo(jar);
        assertFalse(r.refused(), r.lines().toString());
        try (JarFile f = new JarFile(jar.toFile())) {
            assertEquals(RUN + " com.acme.Elsewhere.serve()V", f.getManifest().getMainAttributes().getValue("Livepatch-Hold"));
        }
    }

    @Test
    void withoutHoldsNoAttributeIsWritten() throws Exception {
        Path jar = dir.resolve("plain.jar");
        body().name("fix-price").writeTo(jar);
        try (JarFile f = new JarFile(jar.toFile())) {
            assertNull(f.getManifest().getMainAttributes().getValue("Livepatch-Hold"));
        }
    }

    @Test
    void aMalformedHoldIsRefusedAtOnce() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> body().hold("Driver.run"));
        assertTrue(e.getMessage().contains("class.method(descriptor)"), e.getMessage());
    }

    @Test
    void aHoldTheNewBuildLacksOrThePatchReplacesIsAProblemAndNothingIsWritten() throws Exception {
        Path jar = dir.resolve("refused.jar");
        BuildReport r = body().name("fix-price").hold("com.acme.body.Driver.run(I)Ljava/lang/String;")
                .hold("com.acme.body.Pricing.price(I)I").writeTo(jar);
        assertEquals(List.of(
                "held method com.acme.body.Driver.run(I)Ljava/lang/String;: com.acme.body.Driver of the new build does"
                        + " not declare it; check the name and the descriptor (--hold class.method(descriptor))",
                "held method com.acme.body.Pricing.price(I)I: the patch replaces it, which holds a thread already;"
                        + " drop --hold for it"), r.problems());
        assertFalse(Files.exists(jar));
        assertEquals(r.problems(), body().hold("com.acme.body.Driver.run(I)Ljava/lang/String;")
                .hold("com.acme.body.Pricing.price(I)I").report().problems(), "the dry run says the same");
    }
}
