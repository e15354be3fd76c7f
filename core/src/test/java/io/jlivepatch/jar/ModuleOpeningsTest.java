package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.ModuleOpenings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A module jlivepatch opens through the Instrumentation (it cannot be closed again, and the class
 * path's code may use the opening too) is logged, shown by {@code status} and audited with the
 * operation that opened it, even one that is then refused.
 */
class ModuleOpeningsTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void aPatchClassThatIsANestmateOfAJdkClassOpensItsPackageOnRecord() throws Exception {
        String carrier = "java.util.OpeningCarrier";
        Map<String, String> manifest = Jars.manifest("opening-jdk-carrier", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=java.util.HashMap");
        Path jar = Jars.write(dir.resolve("opening.jar"), manifest,
                Map.of("java/util/OpeningCarrier.class", Jars.patchClass(carrier, Jars::returnsMinusOne)));
        // Refused later (the boot loader cannot see jarapp.Counter), after the package was opened.
        Jars.refused(jar, Reason.INVALID_PATCH, "java.util.OpeningCarrier cannot be loaded");

        String opening = "java.base/java.util to unnamed module";
        assertTrue(ModuleOpenings.all().stream().anyMatch(o -> o.startsWith(opening)
                && o.contains("(a patch class is a nestmate of java.util.HashMap, ")), ModuleOpenings.all().toString());
        assertTrue(Jars.statusText().contains("  opened: " + opening), Jars.statusText());
        assertTrue(Arrays.stream(Jars.auditLog()).anyMatch(l -> l.contains(" open " + opening)),
                Arrays.toString(Jars.auditLog()));
    }
}
