package installfailure;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

/** A Livepatch.install that fails after its transformer was added leaves nothing behind: {@link InstallFailureUndoneDriver}. */
class InstallFailureUndoneTest {

    @Test
    void aFailureAfterTheTransformerIsUndoneAndTheRetryInstallsOnce() throws Exception {
        ChildJvm.runOk(InstallFailureUndoneDriver.class,
                List.of("--add-opens", "java.instrument/sun.instrument=ALL-UNNAMED"), List.of(), 120);
    }
}
