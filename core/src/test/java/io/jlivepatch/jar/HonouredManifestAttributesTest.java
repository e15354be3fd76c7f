package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.Opcodes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Manifest attributes the JDK honours for a JAR on the class path or run with {@code java -jar}
 * ({@code Class-Path}, {@code Add-Opens}, {@code Launcher-Agent-Class}) do nothing for a patch JAR:
 * its class loader reads the JAR's checked bytes only, so no other JAR's classes join the patch, no
 * module is opened and no agent runs. What runs is what the JAR holds and the checks saw.
 */
class HonouredManifestAttributesTest {

    private static final String LAUNCHER_RAN = "jlivepatch.test.launcherAgentRan";

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void aClassPathAttributeIsNotFollowedToAnotherJar() throws Exception {
        String fix = "jarapp.fix.LpUsesElsewhere";
        // the class it uses is in elsewhere.jar, beside it, which its Class-Path names
        Jars.write(dir.resolve("elsewhere.jar"), Map.of(), Map.of("jarapp/fix/LpElsewhere.class",
                Jars.helperClass("jarapp.fix.LpElsewhere", mv -> {
                    mv.visitLdcInsn("unchecked");
                    mv.visitInsn(Opcodes.ARETURN);
                })));
        Map<String, String> manifest = Jars.manifest("class-path-elsewhere", fix);
        manifest.put("Class-Path", "elsewhere.jar " + dir.resolve("elsewhere.jar").toUri());
        Path jar = Jars.write(dir.resolve("class-path.jar"), manifest, Map.of("jarapp/fix/LpUsesElsewhere.class",
                Jars.patchClass(fix, mv -> {
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/fix/LpElsewhere", "value", "()Ljava/lang/Object;",
                            false);
                    mv.visitInsn(Opcodes.POP);
                    mv.visitInsn(Opcodes.ICONST_M1);
                    mv.visitInsn(Opcodes.IRETURN);
                })));
        // A class no loader has is no refusal (code for two versions of a library names classes that only
        // one has: README, what load checks); it is never found in elsewhere.jar at the call either.
        PatchHandle h = Jars.lp().load(jar);
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        NoClassDefFoundError e = assertThrows(NoClassDefFoundError.class, () -> new Counter().next());
        assertTrue(e.getMessage().contains("jarapp/fix/LpElsewhere"), e.getMessage());
    }

    @Test
    void addOpensAndALauncherAgentDoNothing() throws Exception {
        String fix = "jarapp.fix.LpLauncher";
        Map<String, String> manifest = Jars.manifest("launcher-attributes", fix);
        manifest.put("Add-Opens", "java.base/java.lang java.base/jdk.internal.misc");
        manifest.put("Add-Exports", "java.base/jdk.internal.misc");
        manifest.put("Launcher-Agent-Class", fix);
        manifest.put("Main-Class", fix);
        manifest.put("Enable-Native-Access", "ALL-UNNAMED");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        // next(Counter) returns -1; its agentmain and main would set the property
        entries.put("jarapp/fix/LpLauncher.class", Jars.patchClass(fix, Jars::returnsMinusOne, mv -> {
            mv.visitLdcInsn(LAUNCHER_RAN);
            mv.visitLdcInsn("yes");
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/System", "setProperty",
                    "(Ljava/lang/String;Ljava/lang/String;)Ljava/lang/String;", false);
            mv.visitInsn(Opcodes.POP);
            mv.visitInsn(Opcodes.RETURN);
        }));
        Path jar = Jars.write(dir.resolve("launcher.jar"), manifest, entries);
        PatchHandle h = Jars.lp().load(jar);
        Class<?> patchClass = h.patch().replacements().get(0).replacement().getDeclaringClass();
        Module unnamed = patchClass.getClassLoader().getUnnamedModule();
        assertNull(System.getProperty(LAUNCHER_RAN), "no code of the JAR ran at load");
        assertFalse(Object.class.getModule().isOpen("java.lang", unnamed), "java.lang opened to the patch");
        assertFalse(Object.class.getModule().isExported("jdk.internal.misc", unnamed), "jdk.internal.misc exported");
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(-1, new Counter().next());
        assertEquals("yes", System.getProperty(LAUNCHER_RAN), "the class initializer runs at the first call, as ever");
        assertFalse(Object.class.getModule().isOpen("java.lang", unnamed), "java.lang opened to the patch");
        System.clearProperty(LAUNCHER_RAN);
    }
}
