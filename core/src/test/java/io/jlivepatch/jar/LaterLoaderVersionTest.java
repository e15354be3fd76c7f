package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.format.ClassDigest;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The version check of a patch JAR built against a version of its target, in class loaders that come later. */
class LaterLoaderVersionTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    /**
     * A patch JAR that records the version of jarapp.Counter it was built against (as jlivepatch build
     * writes it) is checked against each class loader's copy, also one defined after the load: there
     * another version keeps its own code and shows FAILED saying why, the same version is patched.
     * Before, the later loader's other version was PATCHED: the load's check had seen only the loaders
     * that had the class then, and a patch for 1.0 replaced the method of 1.1.
     */
    @Test
    void aLoaderDefiningAnotherVersionAfterTheLoadKeepsItsOwnCode() throws Throwable {
        byte[] v1 = Jars.classes("jarapp.Counter").get("jarapp/Counter.class");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("jarapp/fix/LpVersioned.class", Jars.patchClass("jarapp.fix.LpVersioned", Jars::returnsMinusOne));
        entries.put("META-INF/jlivepatch/old-classes.properties",
                ("jarapp.Counter=" + ClassDigest.of(v1) + "\n").getBytes(StandardCharsets.ISO_8859_1));
        entries.put("META-INF/jlivepatch/old-class-files.properties",
                ("jarapp.Counter=" + ClassDigest.ofFile(v1) + "\n").getBytes(StandardCharsets.ISO_8859_1));
        Path jar = Jars.write(dir.resolve("versioned.jar"), Jars.manifest("fix-versioned", "jarapp.fix.LpVersioned"),
                entries);
        PatchHandle h = Jars.lp().load(jar);
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(-1, new Counter().next());

        assertEquals(-1, nextOf(new VersionLoader("same-version", v1)), "the version it was built against");
        assertEquals(1, nextOf(new VersionLoader("other-version", withExtraMethod(v1))), "another version: its own code");
        String status = h.functions().get(0).toString();
        assertTrue(status.contains("classLoader=other-version") && status.matches(".*other-version@\\w+, state=FAILED,"
                + " detail=[^\\]]*was built against another version of jarapp.Counter than this class loader's.*"),
                status);
        assertTrue(status.matches(".*same-version@\\w+, state=PATCHED.*"), status);
    }

    /** next() of a new jarapp.Counter of {@code loader}. */
    private static int nextOf(ClassLoader loader) throws Throwable {
        Class<?> c = Class.forName("jarapp.Counter", true, loader);
        Object o = c.getConstructor().newInstance();
        return (int) MethodHandles.publicLookup().findVirtual(c, "next", MethodType.methodType(int.class)).invoke(o);
    }

    /** {@code classFile} with one more method: another version of the class. */
    static byte[] withExtraMethod(byte[] classFile) {
        ClassReader r = new ClassReader(classFile);
        ClassWriter w = new ClassWriter(0);
        r.accept(new ClassVisitor(Opcodes.ASM9, w) {
            @Override
            public void visitEnd() {
                MethodVisitor mv = super.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "version", "()I", null, null);
                mv.visitCode();
                mv.visitInsn(Opcodes.ICONST_2);
                mv.visitInsn(Opcodes.IRETURN);
                mv.visitMaxs(1, 0);
                mv.visitEnd();
                super.visitEnd();
            }
        }, 0);
        return w.toByteArray();
    }

    /** Defines jarapp.Counter from {@code counter} itself, and serves those bytes as its class file. */
    static final class VersionLoader extends ClassLoader {
        private final byte[] counter;

        VersionLoader(String name, byte[] counter) {
            super(name, Counter.class.getClassLoader());
            this.counter = counter;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (name.equals("jarapp.Counter")) {
                    Class<?> c = findLoadedClass(name);
                    return c != null ? c : defineClass(name, counter, 0, counter.length);
                }
                return super.loadClass(name, resolve);
            }
        }

        @Override
        public InputStream getResourceAsStream(String name) {
            return name.equals("jarapp/Counter.class") ? new ByteArrayInputStream(counter) : super.getResourceAsStream(name);
        }
    }
}
