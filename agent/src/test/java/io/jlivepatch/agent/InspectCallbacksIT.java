package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code inspect} lists a JAR's callbacks per class from its annotations, and refuses wrong ones as load does. */
class InspectCallbacksIT {

    @TempDir
    Path dir;

    @Test
    void inspectListsTheCallbacksPerClass() throws Exception {
        Path jar = TestJars.patchJar(dir, "callbacks.jar", Map.of("Livepatch-Name", "with-callbacks",
                "Livepatch-Class", "agentapp.fix.CallbacksFix"), "agentapp.fix.CallbacksFix");
        Cli text = Cli.run("inspect", jar);
        assertEquals(0, text.exitCode(), text.toString());
        assertTrue(text.out().contains("  callbacks:\n    agentapp.Greeter: @PrePatch agentapp.fix.CallbacksFix.prepare,"
                + " @PostUnpatch agentapp.fix.CallbacksFix.cleanUp\n"), text.out());

        Cli json = Cli.run("inspect", jar, "--json");
        assertEquals(0, json.exitCode(), json.toString());
        assertTrue(json.out().contains("\"callbacks\":[{\"class\":\"agentapp.Greeter\",\"kind\":\"PrePatch\","
                + "\"method\":\"agentapp.fix.CallbacksFix.prepare\"},{\"class\":\"agentapp.Greeter\","
                + "\"kind\":\"PostUnpatch\",\"method\":\"agentapp.fix.CallbacksFix.cleanUp\"}]"), json.out());
    }

    @Test
    void inspectRefusesACallbackWithTheWrongSignature() throws Exception {
        Path jar = TestJars.patchJar(dir, "wrong.jar", Map.of("Livepatch-Name", "wrong-callback",
                "Livepatch-Class", "agentapp.fix.WrongCallbackFix"), "agentapp.fix.WrongCallbackFix");
        Cli inspect = Cli.run("inspect", jar);
        assertEquals(1, inspect.exitCode(), inspect.toString());
        assertTrue(inspect.err().contains("INVALID_PATCH") && inspect.err().contains("agentapp.fix.WrongCallbackFix"
                + ".prepare(Ljava/lang/Class;)Z is annotated @PrePatch but is not a callback: declare it"
                + " 'public static void prepare(Class<?> target)'"), inspect.toString());
    }
}
