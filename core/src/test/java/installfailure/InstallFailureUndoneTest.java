package installfailure;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * A Livepatch.install that fails leaves nothing behind, and a retry installs once: after its transformer was
 * added ({@link InstallFailureUndoneDriver}), at that add ({@link TransformerAddFailureDriver}), at the
 * registry's construction ({@link RegistryConstructionFailureDriver}), and when the undo cannot remove it
 * ({@link TransformerRemoveFailureDriver}).
 */
class InstallFailureUndoneTest {

    @Test
    void aFailureAfterTheTransformerIsUndoneAndTheRetryInstallsOnce() throws Exception {
        ChildJvm.runOk(InstallFailureUndoneDriver.class,
                List.of("--add-opens", "java.instrument/sun.instrument=ALL-UNNAMED"), List.of(), 120);
    }

    @Test
    void aFailureInsideTheHooksInstallationIsUndoneBeforeAndAfterActivation() throws Exception {
        ChildJvm.runOk(TransformerAddFailureDriver.class,
                List.of("--add-opens", "java.instrument/sun.instrument=ALL-UNNAMED"), List.of(), 120);
    }

    @Test
    void aFailureAtTheRegistrysLastStepIsUndoneBeforeAndAfterActivation() throws Exception {
        ChildJvm.runOk(RegistryConstructionFailureDriver.class,
                List.of("--add-opens", "java.instrument/sun.instrument=ALL-UNNAMED"), List.of(), 120);
    }

    @Test
    void aHookTransformerTheUndoCouldNotRemoveIsRemovedByTheRetry() throws Exception {
        ChildJvm.runOk(TransformerRemoveFailureDriver.class,
                List.of("--add-opens", "java.instrument/sun.instrument=ALL-UNNAMED"), List.of(), 120);
    }
}
