package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassReader;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jlivepatch.jar.Jars.FIX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When the limits are set higher than the heap can hold, reading a large JAR runs out of memory:
 * that is a refusal too, and the JVM runs on. In a JVM of its own with a small heap, so that this
 * JVM's heap is not the one exhausted.
 */
class OutOfMemoryTest {

    @TempDir
    Path dir;

    @Test
    void runningOutOfHeapWhileReadingIsARefusalAndTheJvmRunsOn() throws Exception {
        Jars.RawZip zip = new Jars.RawZip().add("META-INF/MANIFEST.MF", Jars.manifestBytes(Jars.manifest("oom", FIX)));
        Jars.classes(FIX).forEach(zip::add);
        zip.addDeflated("zeros.bin".getBytes(StandardCharsets.UTF_8), Jars.deflatedZeros(256), 1000, 0);
        Path jar = zip.write(dir.resolve("oom.jar"));
        String classPath = String.join(File.pathSeparator, location(OutOfMemoryTest.class),
                location(PatchJar.class), location(ClassReader.class));
        Process p = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", classPath, ReadWithGenerousLimits.class.getName(),
                jar.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "a hang detector");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("refused INVALID_PATCH: patch JAR " + jar + ": jlivepatch ran out of memory"), out);
        assertTrue(out.contains("lower the JAR limits"), out);
        assertTrue(out.contains("still running"), out);
    }

    /**
     * The file itself larger than the heap, under a size limit raised above the heap: reading its
     * bytes runs out of memory, a refusal that says which limit to lower; the JVM runs on.
     */
    @Test
    void runningOutOfHeapWhileReadingTheFileIsARefusalAndTheJvmRunsOn() throws Exception {
        Path jar = dir.resolve("large.jar");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(jar.toFile(), "rw")) {
            f.setLength(96L << 20); // sparse: no disk written
        }
        String classPath = String.join(File.pathSeparator, location(OutOfMemoryTest.class),
                location(PatchJar.class), location(ClassReader.class));
        Process p = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m", "-XX:TieredStopAtLevel=1", "-cp", classPath, ReadFileWithGenerousLimit.class.getName(),
                jar.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "a hang detector");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("refused INVALID_PATCH: patch JAR " + jar + ": jlivepatch ran out of memory reading"
                + " it; nothing was loaded and the application runs on: lower max-jar-bytes or give the JVM more heap"),
                out);
        assertTrue(out.contains("still running"), out);
    }

    /** Reads the file named by its argument under a size limit larger than its heap; says what happened. */
    static final class ReadFileWithGenerousLimit {
        public static void main(String[] args) throws Exception {
            try {
                io.jlivepatch.internal.jar.PatchJarBytes.read(Paths.get(args[0]),
                        JarLimits.DEFAULTS.with(JarLimits.MAX_JAR_BYTES, "1g"));
                System.out.println("read whole");
            } catch (PatchException e) {
                System.out.println("refused " + e.reason() + ": " + e.getMessage());
            }
            List<byte[]> fresh = List.of(new byte[1 << 20], new byte[1 << 20]);
            System.out.println("still running, and allocating: " + fresh.size() + " MiB");
        }
    }

    private static String location(Class<?> c) throws Exception {
        return Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** Reads the JAR named by its argument under limits larger than its heap; says what happened. */
    static final class ReadWithGenerousLimits {
        public static void main(String[] args) throws Exception {
            JarLimits generous = JarLimits.DEFAULTS.with(JarLimits.MAX_ENTRY_BYTES, "1g")
                    .with(JarLimits.MAX_TOTAL_BYTES, "1g");
            try {
                PatchJar.read(Paths.get(args[0]), generous);
                System.out.println("read whole");
            } catch (PatchException e) {
                System.out.println("refused " + e.reason() + ": " + e.getMessage());
            }
            List<byte[]> fresh = List.of(new byte[1 << 20], new byte[1 << 20]);
            System.out.println("still running, and allocating: " + fresh.size() + " MiB");
        }
    }
}
