package io.jlivepatch.build;

import io.jlivepatch.PatchBuild;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.BuildReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cumulative v2, built from the same shipped build as v1 with a field both add, replaces v1 live
 * and goes on from v1's data: the added field's shadow variable has the same id in both builds.
 */
class BuildCumulativeTest {

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        Patching.removeAll();
    }

    @Test
    void aCumulativeV2ReplacesV1LiveAndGoesOnFromItsShadowData() throws Exception {
        Path old = Corpus.build("other", "cumulative", "old");
        Path v1Jar = dir.resolve("fix-meter-v1.jar");
        BuildReport v1Report = PatchBuild.compare(old, Corpus.build("other", "cumulative", "new"))
                .name("fix-meter-v1").writeTo(v1Jar);
        assertFalse(v1Report.refused(), String.join("\n", v1Report.lines()));
        Path v2Jar = dir.resolve("fix-meter-v2.jar");
        BuildReport v2Report = PatchBuild.compare(old, Corpus.build("other", "cumulative", "v2"))
                .name("fix-meter-v2").replaceAll().writeTo(v2Jar);
        assertFalse(v2Report.refused(), String.join("\n", v2Report.lines()));
        assertEquals(v1Report.newFields(), v2Report.newFields(), "the same field, the same shadow variable id");

        ClassLoader app = Patching.appLoader("cumulative-app", old);
        Class<?> meter = Class.forName("com.acme.cumulative.Meter", true, app);
        Object m = meter.getConstructor().newInstance();
        Method hit = meter.getMethod("hit");
        assertEquals("hit", hit.invoke(m));

        PatchHandle v1 = Patching.lp().load(v1Jar);
        Patching.enable(v1);
        assertEquals("hit 1", hit.invoke(m));
        assertEquals("hit 2", hit.invoke(m));

        PatchHandle v2 = Patching.lp().load(v2Jar);
        assertTrue(v2.patch().replace());
        Patching.enable(v2);
        assertEquals(List.of(v2), Patching.lp().patches(), "v1 replaced");
        assertFalse(v1.isRegistered());
        assertEquals("hit 3 of 3", hit.invoke(m), "v2 goes on from v1's count");
        assertEquals("capped at 4", hit.invoke(m));
    }
}
