package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.internal.Sha256;
import io.jlivepatch.internal.jar.PatchJarBytes;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.Opcodes;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A patch JAR sent whole through the MBean ({@code loadContent}) by a caller in the same JVM, which
 * keeps its array: what was checked against the sender's digest is what is loaded.
 */
class SentContentTest {

    private static final String[] LOAD_CONTENT = {byte[].class.getName(), String.class.getName(),
            String.class.getName(), boolean.class.getName(), boolean.class.getName()};

    @AfterEach
    void removeAll() throws PatchException {
        PatchJarBytes.afterDigestForTests(null);
        Jars.removeAll();
    }

    /**
     * The caller changes its array once the content's digest was taken (here: to another patch JAR of
     * the same length). Before, the MBean kept the caller's array: the digest checked was of patch
     * sent-a (next() returns -1), while the classes defined and enabled were sent-b's (next() returns
     * 2), recorded with sent-a's SHA-256. The content is now the MBean's own copy.
     */
    @Test
    void contentTheCallerChangesAfterItsDigestIsNotWhatRuns() throws Exception {
        byte[] sentA = storedJar("sent-a", "jarapp.fix.SentA", mv -> mv.visitInsn(Opcodes.ICONST_M1));
        byte[] sentB = storedJar("sent-b", "jarapp.fix.SentB", mv -> mv.visitInsn(Opcodes.ICONST_2));
        assertEquals(sentA.length, sentB.length, "two JARs of one length: the array's own can be rewritten");
        String digest = Sha256.hex(sentA);
        byte[] callers = sentA.clone();
        PatchJarBytes.afterDigestForTests(() -> System.arraycopy(sentB, 0, callers, 0, callers.length));

        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        Jars.lp();
        Jars.statusText(); // the MBeans are up
        Object name = server.invoke(new ObjectName(ObjectNames.LIVEPATCH), "loadContent",
                new Object[] {callers, digest, "sent.jar", true, false}, LOAD_CONTENT);

        assertEquals("sent-a", name, "the patch of the content whose digest was checked");
        PatchHandle h = Jars.lp().find("sent-a").orElseThrow();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(-1, new Counter().next(), "sent-a's replacement runs");
        assertEquals(digest, server.getAttribute(ObjectNames.patch("sent-a"), "Sha256"));
        assertTrue(Jars.lp().find("sent-b").isEmpty());
    }

    /**
     * A patch JAR of one replacement of jarapp.Counter.next whose body pushes an int ({@code push}),
     * its entries stored (not deflated) with a fixed time: two such JARs whose names are of one length
     * are of one length.
     */
    private static byte[] storedJar(String patch, String patchClass,
                                    java.util.function.Consumer<org.objectweb.asm.MethodVisitor> push)
            throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("META-INF/MANIFEST.MF", Jars.manifestBytes(Jars.manifest(patch, patchClass)));
        entries.put(patchClass.replace('.', '/') + ".class", Jars.patchClass(patchClass, mv -> {
            push.accept(mv);
            mv.visitInsn(Opcodes.IRETURN);
        }));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                JarEntry entry = new JarEntry(e.getKey());
                entry.setMethod(ZipEntry.STORED);
                entry.setTime(0);
                entry.setSize(e.getValue().length);
                entry.setCompressedSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                entry.setCrc(crc.getValue());
                jar.putNextEntry(entry);
                jar.write(e.getValue());
                jar.closeEntry();
            }
        }
        return out.toByteArray();
    }
}
