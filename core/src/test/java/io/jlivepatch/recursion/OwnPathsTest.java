package io.jlivepatch.recursion;

import com.acme.tripwire.TripwireDriver;
import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * A patch JAR whose replacements of JDK methods jlivepatch runs on its own paths throw wherever
 * jlivepatch runs them (com.acme.tripwire.fix.TripwireFix) changes nothing of jlivepatch's: loaded,
 * read, disabled, enabled and unloaded through the control socket and the API, with its enable's
 * transition held open a while by a thread of the application inside one of its methods (the
 * transition worker checks stacks meanwhile), every call answers, the application's thread works on and the audit file keeps every change. In a JVM of
 * its own: the patch's methods are the whole JVM's.
 */
class OwnPathsTest {

    @Test
    void replacementsOfJdkMethodsOnJlivepatchsOwnPathsNeverRunThere() throws Exception {
        // Not "accept": the control socket's accept loop waits unmarked (the last case); and that wait,
        // its selector's select, runs the JDK's HashMap.get (and put) unmarked too, where it throws as
        // there: the select after it runs marked, and every command answers.
        run(List.of("-Dtripwire.tolerated=" + IN_SELECT), "read", "write", "publish", "format", "writeInt", "readInt", "toString", "get", "set", "put", "add",
                "append");
    }

    /**
     * A replacement of a method the JDK's method-handle compiler uses ({@code ArrayList.add},
     * {@code StringBuilder.append}) that calls the original through {@code @Next}: the JVM links the
     * replacement's {@code next.invokeExact} at its first execution, compiling the invoker of its
     * shape with those very methods, which ran the replacement again, whose site was not linked yet:
     * every thread that called the method overflowed its stack (the application's main thread died).
     */
    @Test
    void aNextOfAMethodTheJdksMethodHandleCompilerUsesReachesTheOriginalAtTheFirstCall() throws Exception {
        run(List.of(), "add", "append");
    }

    /**
     * The control socket's accept loop waits for a command unmarked (a thread marked for good would
     * keep every hook's guard from folding to its constant), so a replacement of
     * {@code ServerSocketChannelImpl.accept} runs there, as expected here; one that throws failed
     * every accept, and no command reached the JVM while it was enabled. The accept after a failure
     * runs marked: every command answers, the socket's sessions and the rest as above.
     */
    @Test
    void aThrowingReplacementOfTheSocketsAcceptLeavesEveryCommandAnswered() throws Exception {
        run(List.of("-Dtripwire.tolerated=tripwire.hit.ServerSocketChannelImpl.accept," + IN_SELECT), "accept", "read", "writeInt",
                "readInt", "get", "put", "append");
    }

    /**
     * The hits in the accept loop's wait for a command (ControlServer.next: a select, unmarked, so that
     * a thread waiting for good keeps no hook's guard from folding to its constant), which its selector
     * makes at each connection (EPollSelectorImpl.processEvents, SelectorImpl.processReadyEvents).
     */
    private static final String IN_SELECT = "tripwire.hit.HashMap.get.inSelect,tripwire.hit.HashMap.put.inSelect";

    private static void run(List<String> jvmArgs, String... replacements) throws Exception {
        // The packages of the replaced methods opened, for their @Next (jlivepatch says so otherwise)
        List<String> opens = new java.util.ArrayList<>(jvmArgs);
        for (String p : List.of("java.base/sun.nio.ch", "java.base/java.io", "java.base/java.util", "java.base/java.lang",
                "java.base/java.time", "java.logging/java.util.logging")) {
            opens.addAll(List.of("--add-opens", p + "=ALL-UNNAMED"));
        }
        ChildJvm.runOk(TripwireDriver.class, opens, List.of(replacements), 150);
    }
}
