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

    @Test
    void anOpeningOutsideAnyOperationIsAuditedAtOnceByJlivepatch() throws Exception {
        // An enable starts the thread that audits what happens outside operations.
        io.jlivepatch.PatchHandle h = Jars.lp().load(Jars.write(dir.resolve("fix.jar"), Jars.manifest("opening-any",
                Jars.FIX), Jars.classes(Jars.FIX)));
        h.enable();
        h.disable();
        // As a class loader defining a patched class later would, on a thread that runs no operation.
        ModuleOpenings.opened(String.class.getModule(), "jlivepatch.test.later", getClass().getModule(),
                "a test's opening outside any operation");
        String opening = " open java.base/jlivepatch.test.later to unnamed module";
        for (int i = 0; i < 3000 && Arrays.stream(Jars.auditLog()).noneMatch(l -> l.contains(opening)); i++) {
            Thread.sleep(10); // a hang detector: the audit thread is woken by the opening itself
        }
        String[] log = Jars.auditLog();
        String line = Arrays.stream(log).filter(l -> l.contains(opening)).findFirst().orElseThrow(
                () -> new AssertionError("not audited: " + Arrays.toString(log)));
        assertTrue(line.contains(" by jlivepatch: ok (outside any operation: a class defined later)"), line);
    }
}
