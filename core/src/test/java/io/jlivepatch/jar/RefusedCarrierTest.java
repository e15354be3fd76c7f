package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.jlivepatch.jar.Jars.FIX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A load refused for a patch name already registered leaves nothing behind, not even the classes
 * the JAR carries into the application's class loader (which a class loader keeps for good, and
 * which would refuse every later patch carrying another version of them).
 */
class RefusedCarrierTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void aDuplicateNameIsRefusedBeforeTheCarriedClassesAreDefined() throws Exception {
        Jars.lp().load(Jars.write(dir.resolve("first.jar"), Jars.manifest("carry-twice", FIX), Jars.classes(FIX)));

        String carrier = "jarapp.GoodCarrier";
        Map<String, String> manifest = Jars.manifest("carry-twice", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=jarapp.Counter");
        manifest.put("Livepatch-New-Classes", "jarapp.CarriedOnce");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("jarapp/GoodCarrier.class", Jars.patchClass(carrier, Jars::returnsMinusOne));
        entries.put("jarapp/CarriedOnce.class", Jars.helperClass("jarapp.CarriedOnce", mv -> {
            mv.visitInsn(org.objectweb.asm.Opcodes.ACONST_NULL);
            mv.visitInsn(org.objectweb.asm.Opcodes.ARETURN);
        }));
        Path second = Jars.write(dir.resolve("second.jar"), manifest, entries);

        PatchException e = assertThrows(PatchException.class, () -> Jars.lp().load(second));
        assertEquals(Reason.DUPLICATE_NAME, e.reason(), e.getMessage());
        assertThrows(ClassNotFoundException.class,
                () -> Class.forName("jarapp.CarriedOnce", false, Counter.class.getClassLoader()),
                "a refused patch carried its class into the application's loader");
    }
}
