package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@code Livepatch-Nestmates} class written by hand, not by {@code jlivepatch build}: what a hidden
 * class cannot do is refused at load, with what to change, instead of failing at every call.
 */
class HiddenNestmateTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws Exception {
        Jars.removeAll();
    }

    /**
     * A nestmate is defined in its host's package, so it must be named in it: before, the refusal said
     * "a malformed value: ... not in same package as lookup class" and to keep every type it uses
     * visible to the target's loader, which was not what was wrong.
     */
    @Test
    void aNestmateInAnotherPackageThanItsHostIsRefusedNamingThePackage() throws Exception {
        String fix = "jarapp.fix.OtherPackageNestmate";
        Map<String, String> manifest = new LinkedHashMap<>(Jars.manifest("fix-other-package", fix));
        manifest.put("Livepatch-Nestmates", fix + "=jarapp.Counter");
        Path jar = Jars.write(dir.resolve("other-package.jar"), manifest,
                Map.of("jarapp/fix/OtherPackageNestmate.class", Jars.patchClass(fix, Jars::returnsMinusOne)));
        Jars.refused(jar, PatchException.Reason.INVALID_PATCH, "Livepatch-Nestmates entry"
                + " 'jarapp.fix.OtherPackageNestmate=jarapp.Counter'", "defined in the package of its host",
                "package jarapp", "not jarapp.fix");
    }

    @Test
    void aNestmateNamingItselfInATypeIsRefusedAtLoadSayingWhatToChange() throws Exception {
        Path jar = Jars.nestmateJar(dir.resolve("self.jar"), "fix-self", "SelfNamingNestmate");
        PatchException refused = assertThrows(PatchException.class, () -> Jars.lp().load(jar));
        assertTrue(refused.getMessage().contains("jarapp.SelfNamingNestmatX cannot be loaded: jarapp.SelfNamingNestmatX"
                + " is defined as a hidden nestmate (Livepatch-Nestmates), and a hidden class cannot be found by its"
                + " name: keep that name out of its methods' parameter and return types"), refused.getMessage());
        assertEquals(List.of(), Jars.lp().patches());
        assertEquals(1, new Counter().next(), "nothing changed");
    }

    @Test
    void aNestmateWithALambdaOfItsOwnIsRefusedBeforeJdk23AndRunsFrom23() throws Exception {
        Path jar = Jars.nestmateJar(dir.resolve("lambda.jar"), "fix-lambda", "LambdaNestmate");
        Counter c = new Counter();
        if (Runtime.version().feature() < 23) {
            PatchException refused = assertThrows(PatchException.class, () -> Jars.lp().load(jar));
            assertTrue(refused.getMessage().contains("class 'jarapp.LambdaNestmatX', which Livepatch-Nestmates defines"
                    + " as a hidden nestmate, makes a lambda or method reference of its own method in next(), which this"
                    + " JVM (Java " + Runtime.version().feature() + ") cannot make for a hidden class before Java 23"
                    + " (JDK-8330467)"), refused.getMessage());
            assertEquals(List.of(), Jars.lp().patches());
            assertEquals(1, c.next(), "nothing changed; before, every call threw NoClassDefFoundError");
            return;
        }
        PatchHandle h = Jars.lp().load(jar);
        h.enable();
        assertEquals(41, c.next());
    }
}
