package io.jlivepatch.jar;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.PatchRegistry;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The registration of a patch JAR uses the JAR check's look at the loaded classes again (issue 14)
 * only while no class of the patch's names was defined since: preparing a JAR with a nestmate loads
 * the nestmate's host, which here is the target, loaded by nothing before. The registration must see
 * it loaded (checked, hooked at enable), not pending as the check's look found it.
 */
class ScanAcrossPreparingTest {

    private static final String HOST = "jarapp.LateHost";

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws Exception {
        Jars.removeAll();
    }

    private static long loaded(String name) {
        return Arrays.stream(ByteBuddyAgent.install().getAllLoadedClasses()).filter(c -> c.getName().equals(name))
                .count();
    }

    @Test
    void aTargetThatPreparingTheJarLoadsIsSeenLoadedByTheRegistration() throws Exception {
        Path jar = Jars.nestmateJar(dir.resolve("late-host.jar"), "fix-late-host", "LateHostNestmate", HOST);
        assertEquals(0, loaded(HOST), HOST + " must be loaded by nothing before this test's load");

        PatchHandle h = Jars.lp().load(jar);

        assertEquals(1, loaded(HOST), "preparing the JAR loaded the nestmate's host");
        // What status and the MBean's PendingClasses say: the check's look found it loaded nowhere
        assertEquals(List.of(), PatchRegistry.installed().pendingClasses(h), "no class pending at registration");
        List<FunctionStatus> fs = h.functions();
        assertEquals(1, fs.size());
        assertEquals(FunctionStatus.State.NOT_PATCHED, fs.get(0).state(), "registered as loaded: " + fs);
        h.enable();
        assertEquals(FunctionStatus.State.PATCHED, h.functions().get(0).state(), String.valueOf(h.functions()));
        assertEquals(42, new jarapp.LateHost().value());
    }
}
