package io.jlivepatch.build;

import io.jlivepatch.BuildReport;
import io.jlivepatch.PatchBuild;
import io.jlivepatch.PatchHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.FieldNode;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Added fields carried as shadow variables: their ids, their holders, the rewritten code, and
 * objects made before the patch. (That patched code behaves as the new build's is the
 * differential test's job: the {@code field*} cases of the supported corpus.)
 */
class BuildShadowFieldTest {

    @TempDir
    Path dir;

    @AfterEach
    void removePatches() throws Exception {
        Patching.removeAll();
    }

    /**
     * The report's line for an added field, its id computed here from the documented rule: the
     * first 8 bytes of SHA-256 of {@code "jlivepatch-field:" + owner + "." + name + ":" + desc}.
     *
     * @param kindDesc the descriptor, after {@code "static "} for a static field
     */
    static String line(String owner, String name, String kindDesc, String initial) {
        String desc = kindDesc.replace("static ", "");
        byte[] sha = sha256(("jlivepatch-field:" + owner + "." + name + ":" + desc).getBytes(StandardCharsets.UTF_8));
        String id = HexFormat.of().formatHex(sha, 0, 8);
        return owner + "." + name + " (" + kindDesc + ") -> shadow variable 0x" + id + initial;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ClassNode withCode(Path jar, String internalName) throws Exception {
        try (JarFile f = new JarFile(jar.toFile())) {
            java.util.jar.JarEntry e = f.getJarEntry(internalName + ".class");
            assertTrue(e != null, internalName + " is not in " + jar);
            ClassNode n = new ClassNode();
            new org.objectweb.asm.ClassReader(f.getInputStream(e).readAllBytes()).accept(n, 0);
            return n;
        }
    }

    private Path build(String name, String file) throws Exception {
        Path out = dir.resolve(file);
        BuildReport r = PatchBuild.compare(Corpus.build("supported", name, "old"), Corpus.build("supported", name, "new"))
                .name("fix-" + name).writeTo(out);
        assertFalse(r.refused(), String.join("\n", r.lines()));
        return out;
    }

    @Test
    void anObjectMadeBeforeThePatchStartsFromTheFieldsDefault() throws Exception {
        ClassLoader app = Patching.appLoader("pre-fieldadded", Corpus.build("supported", "fieldadded", "old"));
        Class<?> account = Class.forName("com.acme.fieldadded.Account", true, app);
        Object before = account.getConstructor().newInstance();
        Method deposit = account.getMethod("deposit", long.class);
        assertEquals(10L, deposit.invoke(before, 10L), "the old build has no limit");

        PatchHandle h = Patching.lp().load(build("fieldadded", "fix.jar"));
        Patching.enable(h);
        // limit reads 0 on first use, so the new code sets it from this deposit: 3 * 5
        assertEquals(15L, deposit.invoke(before, 5L));
        InvocationTargetException over = assertThrows(InvocationTargetException.class, () -> deposit.invoke(before, 1L));
        assertEquals("over the limit 15", over.getCause().getMessage());
        Object after = account.getConstructor().newInstance();
        assertEquals(4L, deposit.invoke(after, 4L), "each object has its own limit");
        assertEquals(8L, deposit.invoke(after, 4L));
    }

    @Test
    void theSameFixBuiltTwiceHasTheSameIdsAndHolders() throws Exception {
        Path first = build("fieldinit", "v1.jar");
        Path second = build("fieldinit", "v2.jar");
        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second),
                "a later build of the same fix must find the same shadow variables");
        try (JarFile jar = new JarFile(first.toFile())) {
            String carried = jar.getManifest().getMainAttributes().getValue("Livepatch-New-Classes");
            assertEquals(List.of("com.acme.fieldinit.AuditLog", "com.acme.fieldinit.Account$$Shadow$MAX_AUDITS",
                    "com.acme.fieldinit.Account$$Shadow$currency", "com.acme.fieldinit.Account$$Shadow$limit",
                    "com.acme.fieldinit.Account$$Shadow$open", "com.acme.fieldinit.Account$$Shadow$rate",
                    "com.acme.fieldinit.Account$$Shadow$audits", "com.acme.fieldinit.Account$$Shadow$log"),
                    List.of(carried.split(" ")));
        }
    }

    @Test
    void theCodeThePatchCarriesNoLongerNamesTheAddedFields() throws Exception {
        Path jar = build("fieldinit", "fix.jar");
        for (String cls : List.of("com/acme/fieldinit/AuditLog", "com/acme/fieldinit/Account$$Livepatch")) {
            ClassNode c = withCode(jar, cls);
            List<String> accessed = c.methods.stream().flatMap(m -> java.util.Arrays.stream(m.instructions.toArray()))
                    .filter(i -> i instanceof FieldInsnNode).map(i -> ((FieldInsnNode) i).owner + "." + ((FieldInsnNode) i).name)
                    .distinct().sorted().toList();
            assertTrue(accessed.stream().noneMatch(a -> a.startsWith("com/acme/fieldinit/Account.")
                    && !a.endsWith(".owner") && !a.endsWith(".balance")), cls + " still names an added field: " + accessed);
            assertTrue(accessed.contains("com/acme/fieldinit/Account$$Shadow$audits.value"), accessed.toString());
        }
    }

    @Test
    void aHoldersFieldIsVolatileExactlyWhenTheAddedFieldWas() throws Exception {
        Path jar = build("fieldtypes", "fix.jar");
        for (String name : List.of("stamp", "sVolatile", "longs", "sLong", "joined")) {
            ClassNode box = withCode(jar, "com/acme/fieldtypes/Tally$$Shadow$" + name);
            FieldNode value = box.fields.get(0);
            assertEquals("value", value.name);
            boolean isVolatile = (value.access & Opcodes.ACC_VOLATILE) != 0;
            assertEquals(name.equals("stamp") || name.equals("sVolatile"), isVolatile, name);
            assertEquals(1, box.fields.size(), name + "'s holder has one field");
        }
    }

    @Test
    void aStaticFieldsHolderIsAttachedToTheClassObject() throws Exception {
        ClassNode box = withCode(build("fieldtypes", "fix.jar"), "com/acme/fieldtypes/Tally$$Shadow$sLong");
        AbstractInsnNode first = box.methods.stream().filter(m -> m.name.equals("of")).findFirst().orElseThrow()
                .instructions.getFirst();
        while (first.getOpcode() < 0) {
            first = first.getNext();
        }
        assertEquals(Opcodes.LDC, first.getOpcode());
        assertEquals("Lcom/acme/fieldtypes/Tally;", ((org.objectweb.asm.tree.LdcInsnNode) first).cst.toString());
    }
}
