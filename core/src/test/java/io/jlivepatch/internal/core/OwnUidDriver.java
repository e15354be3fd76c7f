package io.jlivepatch.internal.core;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run without jdk.security.auth and with another -Duser.name (OwnUidTest): the audit file this JVM's
 * user owns opens; before, its owner was compared with user.name and it was refused.
 */
public final class OwnUidDriver {

    private OwnUidDriver() {
    }

    public static void main(String[] args) throws Exception {
        if (ModuleLayer.boot().findModule("jdk.security.auth").isPresent()) {
            throw new AssertionError("run with --limit-modules without jdk.security.auth");
        }
        Path file = Files.writeString(Path.of(args[0]), "");
        long uid = ((Number) Files.getAttribute(file, "unix:uid")).longValue();
        if (PrivateAppendFile.ownUid() != uid) {
            throw new AssertionError("own uid " + PrivateAppendFile.ownUid() + ", the file's " + uid);
        }
        PrivateAppendFile.open(file).close();
        System.out.println("RESULT ok");
    }
}
