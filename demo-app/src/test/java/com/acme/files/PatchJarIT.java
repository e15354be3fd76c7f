package com.acme.files;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.jar.PatchJar;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The patch JAR that {@code jlivepatch build} made from the two builds, and the service JAR, as
 * Maven built them (run by failsafe, after {@code package}): the patch is what {@code jlivepatch
 * load} expects, it makes the running build answer exactly as the fixed build does, and the
 * service does not carry the fix.
 */
class PatchJarIT {

    private static final Path PATCH_JAR = Paths.get(System.getProperty("demo.patch.jar"));
    private static final Path SERVICE_JAR = Paths.get(System.getProperty("demo.service.jar"));
    /** target/classes: the running build, which jlivepatch build compared with the fixed one. */
    private static final Path RUNNING_CLASSES = Paths.get(System.getProperty("demo.running.classes"));
    private static final String FILE_STORE = "com/acme/files/FileStore.class";

    /** jlivepatch logs every life-cycle step at INFO; held strongly so that the level sticks. */
    private static final Logger JLIVEPATCH_LOG = Logger.getLogger("io.jlivepatch");

    static {
        JLIVEPATCH_LOG.setLevel(Level.WARNING);
    }

    @TempDir
    Path tmp;

    @Test
    void thePatchJarCarriesOnlyTheFixedFileStore() throws Exception {
        assertTrue(Files.isRegularFile(PATCH_JAR), PATCH_JAR + " was not built");
        try (JarFile jar = new JarFile(PATCH_JAR.toFile())) {
            Attributes main = jar.getManifest().getMainAttributes();
            assertEquals("fix-traversal", main.getValue("Livepatch-Name"));
            assertTrue(main.getValue("Livepatch-Description").contains("FileStore.resolve"),
                    main.getValue("Livepatch-Description"));
            assertTrue(jar.stream().filter(e -> e.getName().endsWith(".class"))
                    .allMatch(e -> e.getName().startsWith("com/acme/files/")), "only the application's package");
        }
        PatchJar jar = PatchJar.read(PATCH_JAR);
        assertEquals("fix-traversal", jar.name());
        assertFalse(jar.patchClasses().isEmpty());
        // One class patched, FileStore, and the patch was built against the running build's FileStore.
        assertEquals(Set.of("com.acme.files.FileStore"), Set.copyOf(jar.nestmates().values()), jar.nestmates().toString());
        assertEquals(Set.of("com.acme.files.FileStore"), jar.oldDigests().keySet());
        assertEquals(Set.of(), Set.copyOf(jar.newClasses()), "the fix adds no class");
    }

    @Test
    void theServiceJarKeepsTheBuggyFileStore() throws Exception {
        byte[] running = Files.readAllBytes(RUNNING_CLASSES.resolve(FILE_STORE));
        byte[] fixed = Files.readAllBytes(FixedBuild.CLASSES.resolve(FILE_STORE));
        try (JarFile jar = new JarFile(SERVICE_JAR.toFile())) {
            assertNotNull(jar.getEntry("com/acme/files/FileService.class"));
            JarEntry e = jar.getJarEntry(FILE_STORE);
            assertNotNull(e);
            byte[] served;
            try (InputStream in = jar.getInputStream(e)) {
                served = in.readAllBytes();
            }
            assertArrayEquals(running, served, "the service JAR holds target/classes' FileStore");
            assertFalse(java.util.Arrays.equals(fixed, served), "the service gets the fix only from the patch JAR");
            assertTrue(jar.stream().noneMatch(x -> x.getName().contains("$$Livepatch")));
        }
    }

    /**
     * The differential test of the issue on the demo: the running build with the patch loaded answers
     * every input exactly as the fixed build does, exceptions included; disabled, it answers as before.
     */
    @Test
    void thePatchedRunningBuildAnswersAsTheFixedBuild() throws Exception {
        Path www = Files.createDirectories(tmp.resolve("www"));
        Files.createDirectories(www.resolve("docs"));
        Files.writeString(www.resolve("docs/guide.txt"), "guide");
        Files.writeString(tmp.resolve("secret.txt"), "secret");
        FileStore store = new FileStore(www);
        Map<String, String> buggy = FixedBuild.outcomes(store::resolve, store::read);
        assertEquals("returned secret", buggy.get("read ../secret.txt"), "the hole is open before the patch");

        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        PatchHandle h = lp.load(PATCH_JAR);
        Map<String, String> patched;
        try {
            h.enable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(30)), "patching transition did not end");
            assertEquals(1, h.functions().size(), h.functions().toString());
            FunctionStatus f = h.functions().get(0);
            assertEquals("com.acme.files.FileStore.resolve(Ljava/lang/String;)Ljava/nio/file/Path;",
                    f.className() + "." + f.methodName() + f.descriptor());
            assertEquals(FunctionStatus.State.PATCHED, f.state(), f.toString());
            patched = FixedBuild.outcomes(store::resolve, store::read);

            h.disable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(30)), "unpatching transition did not end");
            assertEquals(buggy, FixedBuild.outcomes(store::resolve, store::read), "disabled: the old behaviour is back");
        } finally {
            if (h.isEnabled()) {
                h.disable();
                h.awaitTransition(Duration.ofSeconds(30));
            }
            h.unregister();
        }

        // Only now, with no patch left, is the fixed FileStore loaded (in a loader of its own).
        Map<String, String> expected;
        try (FixedBuild fixedBuild = new FixedBuild()) {
            Object fixed = fixedBuild.store(www);
            expected = FixedBuild.outcomes(n -> fixedBuild.resolve(fixed, n), n -> fixedBuild.read(fixed, n));
            // The patch was built against the running build's FileStore: with another version of it
            // loaded (the fixed one, here), load refuses it and registers nothing.
            PatchException refused = assertThrows(PatchException.class, () -> lp.load(PATCH_JAR));
            assertEquals(PatchException.Reason.SIGNATURE_MISMATCH, refused.reason(), refused.getMessage());
            assertTrue(refused.getMessage().contains("another version of com.acme.files.FileStore"), refused.getMessage());
            assertTrue(lp.find("fix-traversal").isEmpty(), "a refused load registers nothing");
        }
        assertEquals(expected, patched, "the patched running build must answer as the fixed build");
        assertNotEquals(buggy, patched);
        assertTrue(patched.get("read ../secret.txt").startsWith("threw java.lang.SecurityException"),
                patched.get("read ../secret.txt"));
    }
}
