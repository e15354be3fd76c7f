package io.jlivepatch.agent;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM whose bootstrap class path holds another version's {@code Dispatch} before jlivepatch's agent
 * starts (an older jlivepatch's classes on {@code -Xbootclasspath/a}): the agent refuses to install
 * ({@code DispatchBridge}), says why and what to do, and the application runs its own code. Two shapes
 * of the other version: a Dispatch without the {@code calls()} this one reaches it by, and one whose
 * {@code calls()} answers something else.
 */
class OlderDispatchIT {

    private static final String WHY = "the Dispatch class on the bootstrap class path does not match this jlivepatch:"
            + " another version of jlivepatch was loaded into this JVM before";
    private static final String WHAT_TO_DO = "use that version's command, or restart the JVM with one version of"
            + " jlivepatch only";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theAgentRefusesToInstallSaysWhatToDoAndTheApplicationRunsItsOwnCode(boolean withCalls) throws Exception {
        Path stub = otherDispatchJar(dir.resolve("other-jlivepatch-boot.jar"), withCalls);
        Path stderr = dir.resolve("stderr.txt");
        try (ServiceProcess service = new ServiceProcess(Redirect.to(stderr.toFile()),
                "-Xbootclasspath/a:" + stub, "-javaagent:" + TestJars.AGENT)) {
            assertEquals(ORIGINAL, service.call(), "the application starts and runs its own code");
            assertEquals("failed", service.awaitAgent()); // the installation runs aside of main
            String log = Files.readString(stderr);
            assertTrue(log.contains("jlivepatch could not be installed; the application runs without live patching")
                    && log.contains(WHY) && log.contains(WHAT_TO_DO), log);
            assertTrue(log.contains("on -Xbootclasspath/a: jar:file:" + stub.toUri().getPath() + "!/"),
                    "names the JAR: " + log);

            Cli list = Cli.run("list");
            assertTrue(list.out().lines().anyMatch(l -> l.startsWith(service.pid() + " ")
                    && l.contains("not loaded (installation failed)")), list.toString());

            // An operation attaches the agent again: refused the same way, nothing registered, no hook.
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("jlivepatch could not be installed in pid " + service.pid() + ": " + WHY)
                    && load.err().contains(WHAT_TO_DO) && load.err().contains("the application runs without it"),
                    load.toString());
            assertEquals(ORIGINAL, service.call(), "no hook: the application's own code runs");
            Cli status = Cli.run("status", service.pid());
            assertTrue(status.out().contains("jlivepatch not loaded (its installation failed: " + WHY), status.toString());
        }
    }

    /**
     * A JAR with {@code io.jlivepatch.internal.bootstrap.Dispatch} as another version has it: the
     * {@code install} an older one offered, and, if {@code withCalls}, a {@code calls()} that answers a
     * plain object rather than this version's functional interfaces.
     */
    private static Path otherDispatchJar(Path jar, boolean withCalls) throws IOException {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER,
                "io/jlivepatch/internal/bootstrap/Dispatch", null, "java/lang/Object", null);
        MethodVisitor install = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "install",
                "(Ljava/util/function/BiFunction;)Z", null, null);
        install.visitCode();
        install.visitInsn(Opcodes.ICONST_1);
        install.visitInsn(Opcodes.IRETURN);
        install.visitMaxs(0, 0);
        install.visitEnd();
        if (withCalls) {
            MethodVisitor calls = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "calls",
                    "()Ljava/lang/Object;", null, null);
            calls.visitCode();
            calls.visitTypeInsn(Opcodes.NEW, "java/lang/Object");
            calls.visitInsn(Opcodes.DUP);
            calls.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
            calls.visitInsn(Opcodes.ARETURN);
            calls.visitMaxs(0, 0);
            calls.visitEnd();
        }
        cw.visitEnd();
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
            out.putNextEntry(new JarEntry("io/jlivepatch/internal/bootstrap/Dispatch.class"));
            out.write(cw.toByteArray());
            out.closeEntry();
        }
        return jar;
    }
}
