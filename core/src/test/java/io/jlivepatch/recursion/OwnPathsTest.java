package io.jlivepatch.recursion;

import com.acme.tripwire.TripwireDriver;
import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * A patch JAR whose replacements of JDK methods jlivepatch runs on its own paths throw wherever
 * jlivepatch runs them (com.acme.tripwire.fix.TripwireFix) changes nothing of jlivepatch's: loaded,
 * read, disabled, enabled and unloaded through the control socket and the API, every call
 * answers, the application's thread works on and the audit file keeps every change. In a JVM of
 * its own: the patch's methods are the whole JVM's.
 */
class OwnPathsTest {

    @Test
    void replacementsOfJdkMethodsOnJlivepatchsOwnPathsNeverRunThere() throws Exception {
        // The packages of the replaced methods opened, for their @Next (jlivepatch says so otherwise)
        List<String> opens = new java.util.ArrayList<>();
        for (String p : List.of("java.base/sun.nio.ch", "java.base/java.io", "java.base/java.util", "java.base/java.lang",
                "java.base/java.time", "java.logging/java.util.logging")) {
            opens.addAll(List.of("--add-opens", p + "=ALL-UNNAMED"));
        }
        // Not "accept": the control socket's accept loop waits unmarked (README, "Known limits").
        // Not "add", "append": their @Next overflowed the stack at the first call, jlivepatch or not.
        ChildJvm.runOk(TripwireDriver.class, opens, List.of("read", "write", "publish", "format", "writeInt", "readInt",
                "toString", "get", "set", "put"), 150);
    }
}
