package io.jlivepatch.jar;

import java.nio.file.Path;

/** {@link SecurityManagerDriver#grantTheClassPathAlone} for drivers of other packages. */
public final class SecurityManagerDriverAccess {

    private SecurityManagerDriverAccess() {
    }

    public static void grantTheClassPathAlone(Path policyFile) throws java.io.IOException {
        SecurityManagerDriver.grantTheClassPathAlone(policyFile);
    }
}
