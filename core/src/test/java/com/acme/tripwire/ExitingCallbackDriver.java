package com.acme.tripwire;

import io.jlivepatch.Callbacks;
import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.AuditFile;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.nio.file.Path;

/**
 * Main class of a fresh JVM: writes its audit file to {@code args[0]}, registers a patch whose
 * {@code args[1]} callback ({@code prePatch} or {@code postPatch}) calls {@code System.exit(3)},
 * and enables it. The test reads how the JVM ended and what the file kept.
 */
public final class ExitingCallbackDriver {

    private ExitingCallbackDriver() {
    }

    /** The patched method. */
    public static String greet() {
        return "hello";
    }

    /** Its replacement. */
    public static String fixedGreet() {
        return "fixed";
    }

    public static void main(String[] args) throws Exception {
        AuditFile.configure(Path.of(args[0]));
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        String when = args[1];
        PatchHandle h = lp.register(Patch.builder("exiting").replace(ExitingCallbackDriver.class.getMethod("greet"),
                ExitingCallbackDriver.class.getMethod("fixedGreet")).callbacks(ExitingCallbackDriver.class.getName(),
                new Callbacks() {
                    @Override
                    public void prePatch(Class<?> target) {
                        if (when.equals("prePatch")) {
                            System.exit(3);
                        }
                    }

                    @Override
                    public void postPatch(Class<?> target) {
                        if (when.equals("postPatch")) {
                            System.exit(3);
                        }
                    }
                }).build());
        System.out.println("registered");
        // The register's line is in the file before the enable starts (the writer is a thread of its own).
        Path audit = Path.of(args[0]);
        for (int i = 0; i < 2000 && (!java.nio.file.Files.exists(audit) || java.nio.file.Files.size(audit) == 0); i++) {
            Thread.sleep(10);
        }
        h.enable();
        h.awaitTransition(java.time.Duration.ofSeconds(20));
        System.out.println("RESULT not exited: " + greet());
    }
}
