package io.jlivepatch.jar;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.ObjectNames;
import jarapp.Counter;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import javax.management.ObjectName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared by the tests of untrusted patch JARs: writing JARs (well-formed or not) and checking
 * refusals. Public for the tests of other packages that need patch JARs (the watched directory's).
 */
public final class Jars {

    /** The patch class of the tests: replaces jarapp.Counter's next and label. */
    static final String FIX = "jarapp.fix.CounterFix";

    /** Held strongly: java.util.logging forgets the level of a logger that is collected. */
    private static final Logger QUIET = Logger.getLogger("io.jlivepatch");

    static {
        QUIET.setLevel(Level.WARNING);
    }

    private Jars() {
    }

    public static Livepatch lp() {
        return Livepatch.install(ByteBuddyAgent.install());
    }

    /** Disables (in reverse order) and unregisters every registered patch. */
    public static void removeAll() throws PatchException {
        List<PatchHandle> stack = new ArrayList<>(lp().patches());
        for (int i = stack.size() - 1; i >= 0; i--) {
            if (stack.get(i).isEnabled()) {
                stack.get(i).disable();
            }
        }
        for (PatchHandle h : stack) {
            h.unregister();
        }
    }

    /** The manifest of a patch named {@code name} whose replacements are in {@code patchClass}. */
    public static Map<String, String> manifest(String name, String patchClass) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("Livepatch-Name", name);
        m.put("Livepatch-Description", "a test patch");
        m.put("Livepatch-Class", patchClass);
        return m;
    }

    /** The class file of a test class, as entries of a JAR: internal name + ".class" to bytes. */
    public static Map<String, byte[]> classes(String... binaryNames) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (String name : binaryNames) {
            String resource = name.replace('.', '/') + ".class";
            try (InputStream in = Jars.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new AssertionError(resource + " is not on the test class path");
                }
                entries.put(resource, in.readAllBytes());
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return entries;
    }

    /**
     * A patch JAR named {@code name} of one {@code Livepatch-Nestmates} class, hosted by
     * {@code jarapp.Counter}: the test class {@code jarapp.<fixture>} under a name of the same
     * length ending in X, since a patch JAR never carries a class of a name the application has.
     *
     * @return the JAR, at {@code file}; its class is {@code jarapp.<fixture without its last letter>X}
     */
    public static Path nestmateJar(Path file, String name, String fixture) throws IOException {
        return nestmateJar(file, name, fixture, "jarapp.Counter");
    }

    /** {@link #nestmateJar(Path, String, String)} hosted by {@code host}. */
    public static Path nestmateJar(Path file, String name, String fixture, String host) throws IOException {
        String from = "jarapp/" + fixture;
        String to = from.substring(0, from.length() - 1) + "X";
        byte[] bytes = renamed(classes("jarapp." + fixture).get(from + ".class"), from, to);
        Map<String, String> manifest = new LinkedHashMap<>(manifest(name, to.replace('/', '.')));
        manifest.put("Livepatch-Nestmates", to.replace('/', '.') + "=" + host);
        return write(file, manifest, Map.of(to + ".class", bytes));
    }

    /**
     * A class file with every occurrence of the internal name {@code from} made {@code to}, of the
     * same length, so that no length in the constant pool changes: a test class under a name the
     * test class path does not have.
     */
    public static byte[] renamed(byte[] classFile, String from, String to) {
        byte[] f = from.getBytes(StandardCharsets.UTF_8);
        byte[] t = to.getBytes(StandardCharsets.UTF_8);
        if (f.length != t.length) {
            throw new IllegalArgumentException(from + " and " + to + " differ in length");
        }
        byte[] out = classFile.clone();
        int replaced = 0;
        for (int i = 0; i + f.length <= out.length; i++) {
            if (java.util.Arrays.equals(out, i, i + f.length, f, 0, f.length)) {
                System.arraycopy(t, 0, out, i, t.length);
                replaced++;
            }
        }
        if (replaced == 0) {
            throw new IllegalArgumentException(from + " is not in the class file");
        }
        return out;
    }

    /** Writes a JAR with {@code JarOutputStream}: a well-formed zip. */
    public static Path write(Path file, Map<String, String> manifest, Map<String, byte[]> entries) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.forEach((k, v) -> m.getMainAttributes().putValue(k, v));
        try (OutputStream out = Files.newOutputStream(file); JarOutputStream jos = new JarOutputStream(out, m)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                jos.putNextEntry(new JarEntry(e.getKey()));
                jos.write(e.getValue());
                jos.closeEntry();
            }
        }
        return file;
    }

    /** The text of a manifest with these main attributes, as a JAR holds it. */
    static byte[] manifestBytes(Map<String, String> attributes) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        attributes.forEach((k, v) -> m.getMainAttributes().putValue(k, v));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.write(out);
        return out.toByteArray();
    }

    /**
     * Loads {@code jar}, which must be refused with {@code reason} and a message holding every
     * fragment; then checks that nothing was registered or patched and that status still works.
     */
    static String refused(Path jar, PatchException.Reason reason, String... fragments) throws Exception {
        List<String> before = lp().patches().stream().map(PatchHandle::name).toList();
        PatchException e = assertThrows(PatchException.class, () -> lp().load(jar));
        String message = e.getMessage();
        assertEquals(reason, e.reason(), message);
        for (String f : fragments) {
            assertTrue(message.contains(f), "'" + f + "' not in: " + message);
        }
        assertTrue(message.contains(jar.toString()), "the message names the JAR: " + message);
        assertFalse(message.startsWith("java.") || message.contains("refused: java."), message);
        assertFalse(message.contains("\n"), "one line: " + message);
        assertEquals(before, lp().patches().stream().map(PatchHandle::name).toList(), "nothing registered");
        assertEquals(1, new Counter().next(), "nothing patched");
        String status = statusText();
        before.forEach(name -> assertTrue(status.contains(name), status));
        List<String> log = List.of(auditLog());
        String last = log.get(log.size() - 1);
        assertTrue(last.contains(" load ") && last.contains("refused " + reason), "audited: " + last);
        return message;
    }

    /**
     * Loads the application's class {@code name} (without initializing it) through every class loader
     * a jarapp.Counter is in, so that the loader a patch of Counter is checked under has it, whichever
     * copy comes first (PatchJarTest leaves one in a loader of its own).
     */
    static void loadWhereCounterIs(String name) throws ClassNotFoundException {
        for (Class<?> c : ByteBuddyAgent.install().getAllLoadedClasses()) {
            if (c.getName().equals("jarapp.Counter")) {
                Class.forName(name, false, c.getClassLoader());
            }
        }
    }

    /** The status report, through the MBean the command uses. */
    public static String statusText() throws Exception {
        return (String) ManagementFactory.getPlatformMBeanServer().invoke(control(), "statusText", null, null);
    }

    /** The audit log, through the MBean the command uses. */
    static String[] auditLog() throws Exception {
        return (String[]) ManagementFactory.getPlatformMBeanServer().getAttribute(control(), "Log");
    }

    private static ObjectName control() throws Exception {
        ObjectName name = new ObjectName(ObjectNames.LIVEPATCH);
        // The MBeans are registered from a background thread at install: wait for them (a hang detector).
        for (int i = 0; i < 1000 && !ManagementFactory.getPlatformMBeanServer().isRegistered(name); i++) {
            Thread.sleep(10);
        }
        return name;
    }

    /**
     * A public class of one public static method {@code int next(jarapp.Counter)} annotated
     * {@code @Replaces(target = "jarapp.Counter", method = "next")}, whose body {@code code} writes.
     */
    static byte[] patchClass(String binaryName, java.util.function.Consumer<MethodVisitor> code) {
        return patchClass(binaryName, code, null);
    }

    /** As above, with a static initializer {@code clinit} writes (whole, return included), unless null. */
    static byte[] patchClass(String binaryName, java.util.function.Consumer<MethodVisitor> code,
                             java.util.function.Consumer<MethodVisitor> clinit) {
        return patchClass(binaryName, "Ljarapp/Counter;", code, clinit);
    }

    /**
     * As above, the method's parameter of type {@code receiver} (a descriptor): {@code Ljava/lang/Object;}
     * for a nestmate of a JDK class, whose loader cannot see jarapp.Counter.
     */
    static byte[] patchClass(String binaryName, String receiver, java.util.function.Consumer<MethodVisitor> code,
                             java.util.function.Consumer<MethodVisitor> clinit) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, binaryName.replace('.', '/'), null,
                "java/lang/Object", null);
        if (clinit != null) {
            MethodVisitor init = cw.visitMethod(Opcodes.ACC_STATIC, "<clinit>", "()V", null, null);
            init.visitCode();
            clinit.accept(init);
            init.visitMaxs(0, 0);
            init.visitEnd();
        }
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "next", "(" + receiver + ")I",
                null, null);
        AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", "jarapp.Counter");
        av.visit("method", "next");
        av.visitEnd();
        mv.visitCode();
        code.accept(mv);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** A class of one static method {@code Object value()} whose body {@code code} writes. */
    static byte[] helperClass(String binaryName, java.util.function.Consumer<MethodVisitor> code) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, binaryName.replace('.', '/'), null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "value", "()Ljava/lang/Object;",
                null, null);
        mv.visitCode();
        code.accept(mv);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** Returns an int from a method declared to return an Object: the verifier's "Bad type on operand stack". */
    static void returnsIntAsObject(MethodVisitor mv) {
        mv.visitInsn(Opcodes.ICONST_1);
        mv.visitInsn(Opcodes.ARETURN);
    }

    /** Pops an empty operand stack: the verifier's "Unable to pop operand off an empty stack". */
    static void popsEmptyStack(MethodVisitor mv) {
        mv.visitInsn(Opcodes.POP);
        mv.visitInsn(Opcodes.ICONST_M1);
        mv.visitInsn(Opcodes.IRETURN);
    }

    /** A correct body for next(Counter): returns -1. */
    static void returnsMinusOne(MethodVisitor mv) {
        mv.visitInsn(Opcodes.ICONST_M1);
        mv.visitInsn(Opcodes.IRETURN);
    }

    /**
     * A zip written byte by byte, for what {@code JarOutputStream} will not write: an entry whose
     * local header declares a size its data does not have, or a name that is not UTF-8.
     */
    static final class RawZip {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream central = new ByteArrayOutputStream();
        private int count;

        /** An entry deflated, with its true sizes. */
        RawZip add(String name, byte[] content) {
            CRC32 crc = new CRC32();
            crc.update(content);
            return addDeflated(name.getBytes(StandardCharsets.UTF_8), deflate(content), content.length, crc.getValue());
        }

        /** An entry of raw deflate data whose headers declare {@code declaredSize} bytes uncompressed. */
        RawZip addDeflated(byte[] name, byte[] deflated, long declaredSize, long crc) {
            int offset = out.size();
            header(out, 0x04034b50, false, name, deflated.length, declaredSize, crc, 0);
            out.writeBytes(deflated);
            header(central, 0x02014b50, true, name, deflated.length, declaredSize, crc, offset);
            count++;
            return this;
        }

        Path write(Path file) throws IOException {
            int cdOffset = out.size();
            byte[] cd = central.toByteArray();
            ByteArrayOutputStream end = new ByteArrayOutputStream();
            int32(end, 0x06054b50);
            int16(end, 0);
            int16(end, 0);
            int16(end, count);
            int16(end, count);
            int32(end, cd.length);
            int32(end, cdOffset);
            int16(end, 0);
            try (OutputStream f = Files.newOutputStream(file)) {
                f.write(out.toByteArray());
                f.write(cd);
                f.write(end.toByteArray());
            }
            return file;
        }

        private static void header(ByteArrayOutputStream o, int signature, boolean central, byte[] name, long csize,
                                   long usize, long crc, int offset) {
            int32(o, signature);
            if (central) {
                int16(o, 20);            // version made by
            }
            int16(o, 20);                // version needed
            int16(o, 0);                 // flags: sizes in this header, no data descriptor
            int16(o, 8);                 // deflated
            int16(o, 0);                 // time
            int16(o, 0x21);              // date: 1980-01-01
            int32(o, (int) crc);
            int32(o, (int) csize);
            int32(o, (int) usize);
            int16(o, name.length);
            int16(o, 0);                 // extra
            if (central) {
                int16(o, 0);             // comment
                int16(o, 0);             // disk
                int16(o, 0);             // internal attributes
                int32(o, 0);             // external attributes
                int32(o, offset);
            }
            o.writeBytes(name);
        }

        private static void int16(ByteArrayOutputStream o, int v) {
            o.write(v & 0xff);
            o.write((v >>> 8) & 0xff);
        }

        private static void int32(ByteArrayOutputStream o, int v) {
            int16(o, v & 0xffff);
            int16(o, (v >>> 16) & 0xffff);
        }
    }

    /** Raw deflate (no zlib wrapper), as a zip entry holds it. */
    static byte[] deflate(byte[] content) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        try {
            d.setInput(content);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    /** {@code megabytes} MiB of zeros, raw-deflated without holding them: about a thousandth of their size. */
    static byte[] deflatedZeros(int megabytes) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        try {
            byte[] zeros = new byte[1 << 20];
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            for (int i = 0; i < megabytes; i++) {
                d.setInput(zeros);
                while (!d.needsInput()) {
                    out.write(buf, 0, d.deflate(buf));
                }
            }
            d.finish();
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }
}
