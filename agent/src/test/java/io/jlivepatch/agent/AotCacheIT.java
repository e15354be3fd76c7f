package io.jlivepatch.agent;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * JDK 25's AOT cache (README, "Start-up"): recorded with the agent, a start-up loads jlivepatch's
 * classes from it, and the patches that run are always those of the patch directory at this start,
 * never what the cache was recorded with: a patch removed since does not run, one added since does,
 * on a target class the cache loaded before premain.
 */
class AotCacheIT {

    @TempDir
    static Path dir;
    private static Path appJar;

    @BeforeAll
    static void jdk25() throws IOException {
        assumeTrue(Runtime.version().feature() >= 25, "the AOT cache (-XX:AOTCacheOutput) is JDK 25's");
        appJar = appJar(dir.resolve("app.jar"));
    }

    @Test
    void aCacheRecordedWithAPatchServesJlivepatchAndForgetsThePatchOnceRemoved() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("with-greet"));
        Path fix = TestJars.greeterFixJar(patches);
        Path cache = dir.resolve("with-greet.aot");
        Run recording = run(List.of("-XX:AOTCacheOutput=" + cache), patches);
        assertEquals(List.of("greet=fixed a", "shout=b!"), recording.answers(), recording.toString());
        assertTrue(Files.isRegularFile(cache), "no cache recorded\n" + recording);

        Run cached = run(List.of("-XX:AOTCache=" + cache, "-Xlog:class+load"), patches);
        assertEquals(List.of("greet=fixed a", "shout=b!"), cached.answers(), cached.toString());
        assertTrue(cached.has("io.jlivepatch.internal.core.PatchRegistry source: shared objects file"),
                "jlivepatch's classes come from the cache\n" + cached);

        Files.delete(fix);
        TestJars.shoutFixJar(patches);
        Run swapped = run(List.of("-XX:AOTCache=" + cache, "-Xlog:class+load"), patches);
        assertEquals(List.of("greet=hello a ", "shout=b!!!"), swapped.answers(), swapped.toString());
        assertTrue(swapped.has("io.jlivepatch.internal.core.PatchRegistry source: shared objects file"), swapped.toString());
    }

    @Test
    void aPatchAddedAfterTheRecordingPatchesATargetTheCacheLoadedBeforePremain() throws Exception {
        Path none = Files.createDirectory(dir.resolve("none"));
        Path cache = dir.resolve("none.aot");
        Run recording = run(List.of("-XX:AOTCacheOutput=" + cache), none);
        assertEquals(List.of("greet=hello a ", "shout=b!"), recording.answers(), recording.toString());

        Path patches = Files.createDirectory(dir.resolve("added"));
        TestJars.greeterFixJar(patches);
        Run cached = run(List.of("-XX:AOTCache=" + cache, "-Xlog:class+load"), patches);
        assertTrue(cached.has("agentapp.Greeter source: shared objects file"),
                "the target comes from the cache, loaded before the agent's premain\n" + cached);
        assertEquals(List.of("greet=fixed a", "shout=b!"), cached.answers(), cached.toString());
    }

    @Test
    void anOldBuildOfJlivepatchFromTheCacheIsRefusedNotRun() throws Exception {
        Path agent = Files.createDirectory(dir.resolve("installed")).resolve("jlivepatch-agent.jar");
        Files.copy(TestJars.AGENT, agent);
        // Recorded without patches: JDK 25.0.3 then checks no JAR of the class path when the cache is
        // used (with a patch at recording, it happens to check them).
        Path cache = dir.resolve("before-upgrade.aot");
        run(List.of("-XX:AOTCacheOutput=" + cache), Files.createDirectory(dir.resolve("none-yet")), agent);
        Path patches = Files.createDirectory(dir.resolve("for-upgrade"));
        TestJars.greeterFixJar(patches);

        // The operator installs another build of jlivepatch in place and keeps the cache.
        asAnotherBuild(agent);
        Run upgraded = run(List.of("-XX:AOTCache=" + cache, "-Xlog:class+load"), patches, agent);
        assertRefusedOrRejected(upgraded);
        Run uncached = run(List.of(), patches, agent);
        assertEquals(List.of("greet=fixed a", "shout=b!"), uncached.answers(), "the new build itself runs\n" + uncached);
    }

    @Test
    void anOldBuildServedForAJarSinceRemovedIsRefusedToo() throws Exception {
        Path oldPlace = Files.createDirectory(dir.resolve("v1")).resolve("jlivepatch-agent.jar");
        Files.copy(TestJars.AGENT, oldPlace);
        Path cache = dir.resolve("v1.aot");
        run(List.of("-XX:AOTCacheOutput=" + cache), Files.createDirectory(dir.resolve("none-v1")), oldPlace);

        // The next build is installed in a directory of its own, the old one removed; the cache is kept.
        // (The old build's bootstrap classes would be read from the new JAR: two builds mixed.)
        Files.delete(oldPlace);
        Path newPlace = Files.createDirectory(dir.resolve("v2")).resolve("jlivepatch-agent.jar");
        Files.copy(TestJars.AGENT, newPlace);
        asAnotherBuild(newPlace);
        Path patches = Files.createDirectory(dir.resolve("for-v2"));
        TestJars.greeterFixJar(patches);
        assertRefusedOrRejected(run(List.of("-XX:AOTCache=" + cache, "-Xlog:class+load"), patches, newPlace));
    }

    /**
     * A start with a cache recorded with another build of jlivepatch: refused by jlivepatch when this
     * JDK serves the cache's classes (JDK-8377932, JDK 25.0.3 and older), else the new build runs.
     */
    private static void assertRefusedOrRejected(Run r) {
        if (r.has("io.jlivepatch.agent.AgentMain source: shared objects file")) {
            System.out.println("AotCacheIT: this JDK served the old build's classes; jlivepatch must refuse them");
            assertTrue(r.err.contains("jlivepatch could not be installed")
                    && r.err.contains("jlivepatch's classes in this JVM are not those of")
                    && r.err.contains("Record the archive again"), r.toString());
            assertEquals(List.of("greet=hello a ", "shout=b!"), r.answers(), "without jlivepatch\n" + r);
        } else {
            System.out.println("AotCacheIT: this JDK rejected the stale cache itself");
            assertEquals(List.of("greet=fixed a", "shout=b!"), r.answers(), r.toString());
        }
    }

    /** Makes {@code jar} what another build of jlivepatch would be: its build stamp, compiled and written, changed. */
    private static void asAnotherBuild(Path jar) throws IOException {
        String stamp = new String(readEntry(jar, "META-INF/jlivepatch/build-stamp"), StandardCharsets.UTF_8).trim();
        rebuild(jar, stamp, "20000101T000000.000Z");
    }

    /**
     * The same JAR as another build would be: every class constant and the resource holding build
     * {@code from} hold {@code to}.
     */
    private static void rebuild(Path jar, String from, String to) throws IOException {
        Path out = jar.resolveSibling("rebuilt.jar");
        try (java.util.jar.JarFile in = new java.util.jar.JarFile(jar.toFile());
             JarOutputStream jos = new JarOutputStream(Files.newOutputStream(out), in.getManifest())) {
            for (JarEntry e : java.util.Collections.list(in.entries())) {
                if (e.getName().equals(java.util.jar.JarFile.MANIFEST_NAME)) {
                    continue;
                }
                byte[] bytes = in.getInputStream(e).readAllBytes();
                if (e.getName().endsWith(".class")) {
                    bytes = withConstant(bytes, from, to);
                } else if (e.getName().equals("META-INF/jlivepatch/build-stamp")) {
                    bytes = (to + "\n").getBytes(StandardCharsets.UTF_8);
                }
                jos.putNextEntry(new JarEntry(e.getName()));
                jos.write(bytes);
                jos.closeEntry();
            }
        }
        Files.move(out, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static byte[] withConstant(byte[] classFile, String from, String to) {
        org.objectweb.asm.ClassReader r = new org.objectweb.asm.ClassReader(classFile);
        org.objectweb.asm.ClassWriter w = new org.objectweb.asm.ClassWriter(0);
        r.accept(new org.objectweb.asm.ClassVisitor(org.objectweb.asm.Opcodes.ASM9, w) {
            @Override
            public org.objectweb.asm.FieldVisitor visitField(int access, String name, String descriptor,
                                                             String signature, Object value) {
                return super.visitField(access, name, descriptor, signature, from.equals(value) ? to : value);
            }

            @Override
            public org.objectweb.asm.MethodVisitor visitMethod(int access, String name, String descriptor,
                                                               String signature, String[] exceptions) {
                return new org.objectweb.asm.MethodVisitor(org.objectweb.asm.Opcodes.ASM9,
                        super.visitMethod(access, name, descriptor, signature, exceptions)) {
                    @Override
                    public void visitLdcInsn(Object value) {
                        super.visitLdcInsn(from.equals(value) ? to : value);
                    }
                };
            }
        }, 0);
        return w.toByteArray();
    }

    private static byte[] readEntry(Path jar, String name) throws IOException {
        try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar.toFile())) {
            return j.getInputStream(j.getJarEntry(name)).readAllBytes();
        }
    }

    private static Run run(List<String> options, Path patches) throws Exception {
        return run(options, patches, TestJars.AGENT);
    }

    /** GreetOnce with the agent and {@code patches}, the agent's JAR on the class path too (so it is cached). */
    private static Run run(List<String> options, Path patches, Path agent) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(TestJars.java());
        command.addAll(options);
        command.add("-javaagent:" + agent + "=patches=" + patches);
        command.add("-cp");
        command.add(appJar + File.pathSeparator + agent);
        command.add("agentapp.GreetOnce");
        Path out = Files.createTempFile(dir, "stdout", ".txt");
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not end in 120 s: " + command + "\nstdout:\n" + Files.readString(out)
                    + "\nstderr:\n" + Files.readString(err));
        }
        Run r = new Run(command, p.exitValue(), Files.readAllLines(out), Files.readString(err));
        assertEquals(0, r.exit, r.toString());
        return r;
    }

    private record Run(List<String> command, int exit, List<String> out, String err) {
        /** The application's lines (the JVM's -Xlog and recording lines go to stdout too). */
        List<String> answers() {
            List<String> l = new ArrayList<>();
            for (String s : out) {
                if (s.startsWith("greet=") || s.startsWith("shout=")) {
                    l.add(s);
                }
            }
            return l;
        }

        boolean has(String fragment) {
            return out.stream().anyMatch(s -> s.contains(fragment));
        }

        @Override
        public String toString() {
            return String.join(" ", command) + "\nexit " + exit + "\nstdout:\n" + String.join("\n", out)
                    + "\nstderr:\n" + err;
        }
    }

    /** The application's classes (agentapp, not its fix package) as a JAR: a cache takes no class directory. */
    private static Path appJar(Path jar) throws IOException {
        Path classes = TestJars.TEST_CLASSES.resolve("agentapp");
        try (JarOutputStream jos = new JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> s = Files.list(classes)) {
            for (Path c : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(c)) {
                    jos.putNextEntry(new JarEntry("agentapp/" + c.getFileName()));
                    jos.write(Files.readAllBytes(c));
                    jos.closeEntry();
                }
            }
        }
        return jar;
    }
}
