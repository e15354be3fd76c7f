package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A built patch whose target no class loader can load yet (a Spring Boot fat JAR's loader is made
 * after start-up) is refused, and the refusal says who acts: a start-up directory or a watch loads
 * it by itself, only a 'jlivepatch load' must be run again. It said "load it again then" to every
 * operator, a start-up patch's too, whose patch needed nothing.
 */
class LoaderNotYetMadeTest {

    private static final String TARGET = "notyetmade.Pricing";
    private static final String FIX = "notyetmade.fix.PricingFix";

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        Jars.removeAll();
    }

    @Test
    void aTargetNoLoaderCanLoadYetIsRefusedSayingWhoLoadsThePatchLater() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(FIX.replace('.', '/') + ".class", GeneratedClasses.fix(FIX, TARGET));
        // Built against some version of the target, which is loaded nowhere and whose file no loader has.
        entries.put("META-INF/jlivepatch/old-classes.properties",
                (TARGET + "=" + "0".repeat(64) + "\n").getBytes(StandardCharsets.ISO_8859_1));
        Path jar = Jars.write(dir.resolve("fix-not-yet.jar"), Jars.manifest("fix-not-yet", FIX), entries);

        PatchException refused = assertThrows(PatchException.class, () -> Jars.lp().load(jar));

        assertEquals(Reason.SIGNATURE_MISMATCH, refused.reason(), refused.getMessage());
        assertTrue(refused.getMessage().contains("it was built against a version of " + TARGET + " and the running"
                + " application's class file cannot be read to check it (loader ")
                && refused.getMessage().endsWith(": no class loader of the application can load it yet. If the"
                + " application's class loader that has it is made after start-up (a Spring Boot fat JAR's, an"
                + " application server's), a start-up directory or a watched one loads the patch as soon as one can"
                + " (nothing to do); a 'jlivepatch load' must be run again then"), refused.getMessage());
        assertEquals(List.of(), Jars.lp().patches(), "nothing registered");
    }
}
