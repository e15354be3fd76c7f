package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jlivepatch build --hold}: repeatable, written as {@code Livepatch-Hold}, refused when malformed. */
class BuildHoldIT {

    @TempDir
    Path dir;

    @Test
    void holdsAreWrittenAsLivepatchHold() throws Exception {
        Path out = dir.resolve("held.jar");
        Cli build = Cli.run("build", "--old", release("old", 1), "--new", release("new", 2), "--name", "fix-w",
                "--hold", "com.acme.W.run()V", "--hold", "com.acme.Other.serve(Ljava/lang/String;)V", "-o", out);
        assertEquals(0, build.exitCode(), build.toString());
        try (JarFile jar = new JarFile(out.toFile())) {
            assertEquals("com.acme.W.run()V com.acme.Other.serve(Ljava/lang/String;)V",
                    jar.getManifest().getMainAttributes().getValue("Livepatch-Hold"));
        }
    }

    @Test
    void aMalformedHoldIsRefusedAndNothingIsWritten() throws Exception {
        Path out = dir.resolve("bad.jar");
        Cli build = Cli.run("build", "--old", release("old", 1), "--new", release("new", 2), "--name", "fix-w",
                "--hold", "com.acme.W.run", "-o", out);
        assertEquals(2, build.exitCode(), "a usage error: " + build);
        assertTrue(build.err().contains("'com.acme.W.run' does not name a method to hold"), build.toString());
        assertFalse(Files.exists(out));
    }

    @Test
    void aHoldTheNewBuildDoesNotDeclareIsAnErrorLine() throws Exception {
        Path out = dir.resolve("missing.jar");
        Cli build = Cli.run("build", "--old", release("old", 1), "--new", release("new", 2), "--name", "fix-w",
                "--hold", "com.acme.W.stop()V", "-o", out);
        assertEquals(1, build.exitCode(), build.toString());
        assertTrue(build.out().contains("ERROR: held method com.acme.W.stop()V: com.acme.W of the new build does not"
                + " declare it"), build.toString());
        assertFalse(Files.exists(out));
    }

    /** A build of one class, {@code com.acme.W}, whose {@code f()} returns {@code value} and {@code run()} calls it. */
    private Path release(String name, int value) throws IOException {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "com/acme/W", null, "java/lang/Object", null);
        MethodVisitor f = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "f", "()I", null, null);
        f.visitCode();
        f.visitIntInsn(Opcodes.BIPUSH, value);
        f.visitInsn(Opcodes.IRETURN);
        f.visitMaxs(0, 0);
        f.visitEnd();
        MethodVisitor run = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "run", "()V", null, null);
        run.visitCode();
        run.visitMethodInsn(Opcodes.INVOKESTATIC, "com/acme/W", "f", "()I", false);
        run.visitInsn(Opcodes.POP);
        run.visitInsn(Opcodes.RETURN);
        run.visitMaxs(0, 0);
        run.visitEnd();
        cw.visitEnd();
        Path classes = dir.resolve(name);
        Files.createDirectories(classes.resolve("com/acme"));
        Files.write(classes.resolve("com/acme/W.class"), cw.toByteArray());
        return classes;
    }
}
