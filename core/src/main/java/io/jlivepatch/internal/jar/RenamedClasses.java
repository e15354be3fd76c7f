package io.jlivepatch.internal.jar;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Copies of a patch JAR's {@code java.*} classes under other names, defined only to be verified.
 * Those classes (hidden nestmates of JDK classes, classes carried into the boot loader) end up in
 * the boot loader, whose classes the JVM does not verify, and no other loader may define a
 * {@code java.*} class; a renamed copy in a loader of its own is verified like any class.
 *
 * <p>Renaming rewrites the constant pool's strings: a JAR class's name, and that name inside
 * descriptors. Everything else, the code included, is copied byte for byte.
 */
final class RenamedClasses extends ClassLoader {

    /** The package prefix of the copies; messages about a copy drop it again. */
    static final String PREFIX = "jlivepatch_check/";

    static {
        registerAsParallelCapable();
    }

    /** Binary name of a copy to its class file. */
    private final Map<String, byte[]> copies = new HashMap<>();

    /**
     * @param originals internal name to class file, for every class to copy
     * @throws IOException for a constant pool that cannot be read or rewritten
     */
    RenamedClasses(Map<String, byte[]> originals, ClassLoader parent) throws IOException {
        super("jlivepatch:check", parent);
        Map<String, String> names = new HashMap<>();
        originals.keySet().forEach(n -> names.put(n, PREFIX + n));
        for (Map.Entry<String, byte[]> e : originals.entrySet()) {
            copies.put(binaryName(e.getKey()), rename(e.getValue(), names));
        }
    }

    /** The class file of the copy of binary name {@code name}, or null. */
    byte[] bytesOf(String name) {
        return copies.get(name);
    }

    /** {@code text} with every copy's name back to its class's: what a message about a copy says. */
    static String unrenamed(String text) {
        return text.replace(PREFIX, "").replace(PREFIX.replace('/', '.'), "");
    }

    /** The binary name of the copy of {@code internalName}. */
    static String binaryName(String internalName) {
        return (PREFIX + internalName).replace('/', '.');
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                byte[] bytes = copies.get(name);
                c = bytes != null ? defineClass(name, bytes, 0, bytes.length) : super.loadClass(name, false);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    /** The class file with every {@code CONSTANT_Utf8} naming a class of {@code names} renamed. */
    static byte[] rename(byte[] classFile, Map<String, String> names) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(classFile.length + 256);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(in.readInt());           // magic
        out.writeInt(in.readInt());           // minor, major version
        int count = in.readUnsignedShort();
        out.writeShort(count);
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            out.writeByte(tag);
            switch (tag) {
                case 1:                        // Utf8
                    out.writeUTF(renamed(in.readUTF(), names));
                    break;
                case 7: case 8: case 16: case 19: case 20:   // Class, String, MethodType, Module, Package
                    copy(in, out, 2);
                    break;
                case 15:                       // MethodHandle
                    copy(in, out, 3);
                    break;
                case 3: case 4: case 9: case 10: case 11: case 12: case 17: case 18:
                    copy(in, out, 4);
                    break;
                case 5: case 6:                // Long, Double: two slots
                    copy(in, out, 8);
                    i++;
                    break;
                default:
                    throw new IOException("unknown constant pool tag " + tag + " at entry " + i);
            }
        }
        in.transferTo(out);
        out.flush();
        return bytes.toByteArray();
    }

    private static String renamed(String utf8, Map<String, String> names) {
        String exact = names.get(utf8);
        if (exact != null) {
            return exact;
        }
        if (utf8.indexOf('L') < 0) {
            return utf8;
        }
        String s = utf8;
        for (Map.Entry<String, String> e : names.entrySet()) {
            // in descriptors ("Ljava/util/X;") and generic signatures ("Ljava/util/X<...>;")
            s = s.replace("L" + e.getKey() + ";", "L" + e.getValue() + ";")
                    .replace("L" + e.getKey() + "<", "L" + e.getValue() + "<");
        }
        return s;
    }

    private static void copy(DataInputStream in, DataOutputStream out, int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        out.write(b);
    }
}
