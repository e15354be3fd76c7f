package io.jlivepatch.jar;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import jarapp.Counter;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Patch JARs: the format, the class loader per target loader, unloading, and every refusal. */
class PatchJarTest {

    private static final Path CLASSES = classesDir();

    @TempDir
    Path dir;

    private static Livepatch lp() {
        return Livepatch.install(ByteBuddyAgent.install());
    }

    @AfterEach
    void removeAll() throws PatchException {
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

    @Test
    void aPatchJarIsLoadedEnabledAndRemoved() throws Exception {
        Counter c = new Counter();
        assertEquals(1, c.next());
        PatchHandle h = lp().load(jar("counter.jar", "fix-counter", "jarapp.fix.CounterFix"));
        assertEquals("fix-counter", h.name());
        assertEquals("counts no more", h.patch().description());
        h.enable();
        assertEquals(-1, c.next());
        assertEquals("label 3", Counter.label(3));
        assertTrue(h.functions().stream().allMatch(f -> f.state() == FunctionStatus.State.PATCHED), h.functions().toString());
        h.disable();
        h.unregister();
        assertEquals(2, c.next());
        assertEquals("#3", Counter.label(3));
    }

    /**
     * The builds a JAR records come in one order, the same in every JVM: they were kept in a {@code Map.copyOf},
     * whose order changes from one JVM run to the next, so inspect printed and sent its build lines and
     * {@code --json} object in either order.
     */
    @Test
    void theRecordedBuildsComeInTheirNamesOrder() throws Exception {
        String oldBuild = "db5a2ec3c1c064d3687b30476bf6a8a429e3aad1d1d6f6ac31faed75d56540b8";
        String newBuild = "964f9f7c637dd69ea1c70af0d507c66faa810be700d3f2f3944d684c964e1680";
        Path jar = write("builds.jar", Map.of("Livepatch-Name", "fix-counter", "Livepatch-Class",
                "jarapp.fix.CounterFix", io.jlivepatch.internal.jar.PatchJar.OLD_BUILD, oldBuild,
                io.jlivepatch.internal.jar.PatchJar.NEW_BUILD, newBuild), "jarapp.fix.CounterFix");
        Map<String, String> builds = io.jlivepatch.internal.jar.PatchJar.read(jar).builds();
        assertEquals(List.of(io.jlivepatch.internal.jar.PatchJar.NEW_BUILD + "=" + newBuild,
                io.jlivepatch.internal.jar.PatchJar.OLD_BUILD + "=" + oldBuild),
                builds.entrySet().stream().map(Object::toString).toList());
    }

    @Test
    void noCodeOfThePatchJarRunsBeforeEnableNotEvenAnAnnotationsEnum() throws Exception {
        System.clearProperty(jarapp.fix.TaggedFix.INITIALIZED);
        PatchHandle h = lp().load(write("tagged.jar", Map.of("Livepatch-Name", "fix-tagged",
                "Livepatch-Class", "jarapp.fix.TaggedFix"), "jarapp.fix.TaggedFix", "jarapp.fix.TaggedFix$Tag",
                "jarapp.fix.TaggedFix$Color"));
        assertNull(System.getProperty(jarapp.fix.TaggedFix.INITIALIZED), "the JAR's enum ran at load");
        h.enable();
        assertNull(System.getProperty(jarapp.fix.TaggedFix.INITIALIZED), "the JAR's enum ran at enable");
        // @Next found in the class file: the replacement calls the original through it
        assertEquals("tagged #3", Counter.label(3));
        h.disable();
        h.unregister();
        assertEquals("#3", Counter.label(3));
    }

    @Test
    void aMisplacedNextInAPatchJarIsRefusedFromItsClassFile() throws Exception {
        Path jar = write("misplaced.jar", Map.of("Livepatch-Name", "fix-misplaced",
                "Livepatch-Class", "jarapp.fix.MisplacedNextFix"), "jarapp.fix.MisplacedNextFix");
        PatchException e = assertThrows(PatchException.class, () -> lp().load(jar));
        assertEquals(PatchException.Reason.INVALID_PATCH, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("@Next is on parameter 1 of 2: it must be on the last parameter"),
                e.getMessage());
        assertTrue(lp().patches().isEmpty(), "nothing registered");
    }

    @Test
    void aJarCarryingItsOwnCopyOfTheTargetClassIsToldToRemoveIt() throws Exception {
        Path jar = write("carries-counter.jar", Map.of("Livepatch-Name", "fix-carrier",
                "Livepatch-Class", "jarapp.fix.CounterFix"), "jarapp.fix.CounterFix", "jarapp.Counter");
        PatchException e = assertThrows(PatchException.class, () -> lp().load(jar));
        assertEquals(PatchException.Reason.INVALID_PATCH, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("carries its own copy of jarapp.Counter, the class it patches")
                && e.getMessage().contains("remove jarapp/Counter.class from the JAR"), e.getMessage());
        assertTrue(lp().patches().isEmpty(), "nothing registered");
    }

    /** A resource of jlivepatch's on the test class path, which the target's loader (the application's) finds too. */
    private static final String SHARED = "io/jlivepatch/control/status-schema.json";

    @Test
    void aPatchReadsItsJarsResourcesButNeverSignatureFiles() throws Exception {
        Path jar = dir.resolve("with-resources.jar");
        try (JarOutputStream jos = new JarOutputStream(Files.newOutputStream(jar), manifest(Map.of(
                "Livepatch-Name", "fix-resources", "Livepatch-Class", "jarapp.fix.CounterFix")))) {
            String cls = "jarapp/fix/CounterFix.class";
            jos.putNextEntry(new JarEntry(cls));
            jos.write(Files.readAllBytes(CLASSES.resolve(cls)));
            jos.closeEntry();
            for (String r : new String[] {"jarapp/fix/limits.txt", "META-INF/SIG-EVIL", "META-INF/EVIL.EC", SHARED}) {
                jos.putNextEntry(new JarEntry(r));
                jos.write(r.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                jos.closeEntry();
            }
        }
        PatchHandle h = lp().load(jar);
        ClassLoader patchLoader = h.patch().replacements().get(0).replacement().getDeclaringClass().getClassLoader();
        assertTrue(patchLoader.getResource("jarapp/fix/limits.txt") != null, "the JAR's own resource");
        // a name the application has too: the patch's own signed bytes, as for its classes
        try (java.io.InputStream in = patchLoader.getResourceAsStream(SHARED)) {
            assertEquals(SHARED, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
        assertEquals(SHARED, new String(patchLoader.getResources(SHARED).nextElement().openStream().readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8));
        assertTrue(java.util.Collections.list(patchLoader.getResources(SHARED)).size() >= 2, "the application's after it");
        // never covered by a signature, so a signed JAR can gain them unnoticed: not served
        assertNull(patchLoader.getResource("META-INF/SIG-EVIL"));
        assertNull(patchLoader.getResource("META-INF/EVIL.EC"));
        // Nor the application's of those names: the manifest, which every JAR of the class path has, came
        // from the parent (a review found); none is served, as the JAR's own is not.
        assertNull(patchLoader.getResource("META-INF/MANIFEST.MF"));
        assertFalse(patchLoader.getResources("META-INF/MANIFEST.MF").hasMoreElements());
        assertNull(patchLoader.getResource("META-INF/EVIL.SF"));
        // its class files are the JAR's, the bytes that were checked, never the application's class of that name
        String own = "jarapp/fix/CounterFix.class";
        assertTrue(Counter.class.getClassLoader().getResource(own) != null, "the application has a class file of that name");
        assertEquals("jlivepatch", patchLoader.getResource(own).getProtocol());
        assertEquals(1, java.util.Collections.list(patchLoader.getResources(own)).size());
        try (java.io.InputStream in = patchLoader.getResourceAsStream(own)) {
            assertArrayEquals(Files.readAllBytes(CLASSES.resolve(own)), in.readAllBytes());
        }
    }

    @Test
    void thePatchClassIsItsOwnCopyWhoseParentIsTheTargetsLoader() throws Exception {
        PatchHandle h = lp().load(jar("counter.jar", "fix-counter", "jarapp.fix.CounterFix"));
        Class<?> patchClass = h.patch().replacements().get(0).replacement().getDeclaringClass();
        assertNotSame(jarapp.fix.CounterFix.class, patchClass, "defined from the JAR, not taken from the class path");
        assertSame(Counter.class.getClassLoader(), patchClass.getClassLoader().getParent());
    }

    @Test
    void aTargetInTwoLoadersGetsOnePatchClassPerLoader() throws Throwable {
        ClassLoader other = new IsolatedLoader(Counter.class.getName());
        Class<?> otherCounter = Class.forName(Counter.class.getName(), true, other);
        assertNotSame(Counter.class, otherCounter);
        Object instance = otherCounter.getConstructor().newInstance();
        MethodHandle next = MethodHandles.publicLookup().findVirtual(otherCounter, "next", MethodType.methodType(int.class));

        PatchHandle h = lp().load(jar("counter.jar", "fix-counter", "jarapp.fix.CounterFix"));
        h.enable();
        assertEquals(-1, new Counter().next());
        assertEquals(-1, (int) next.invoke(instance));
        FunctionStatus next0 = h.functions().get(0);
        assertEquals(2, next0.loaders().size(), next0.toString());
        assertTrue(next0.loaders().stream().allMatch(l -> l.state() == FunctionStatus.State.PATCHED), next0.toString());
    }

    /**
     * The JAR's file is read once, at load: the file rewritten afterwards changes nothing that runs,
     * neither at enable nor in a class loader that defines the target later, nor a resource it reads.
     */
    @Test
    void aJarRewrittenAfterItsLoadChangesNothingThatRuns() throws Throwable {
        Path jar = dir.resolve("read-once.jar");
        writeAnswering(jar, 41, "first");
        PatchHandle h = lp().load(jar);
        writeAnswering(jar, 666, "second"); // the same names, other code: only a new load would read it
        h.enable();
        assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(30)));
        assertEquals(41, new Counter().next());
        ClassLoader other = new IsolatedLoader(Counter.class.getName());
        Class<?> otherCounter = Class.forName(Counter.class.getName(), true, other);
        Object instance = otherCounter.getConstructor().newInstance();
        assertEquals(41, (int) MethodHandles.publicLookup().findVirtual(otherCounter, "next",
                MethodType.methodType(int.class)).invoke(instance), "a class loader arriving after the rewrite");
        ClassLoader patchLoader = h.patch().replacements().get(0).replacement().getDeclaringClass().getClassLoader();
        try (java.io.InputStream in = patchLoader.getResourceAsStream("jarapp/fix/note.txt")) {
            assertEquals("first", new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /** A patch JAR whose jarapp.fix.LpOnce.next(Counter) returns {@code answer}, with a resource holding {@code note}. */
    private static void writeAnswering(Path jar, int answer, String note) throws IOException {
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        entries.put("jarapp/fix/LpOnce.class", Jars.patchClass("jarapp.fix.LpOnce", mv -> {
            mv.visitIntInsn(org.objectweb.asm.Opcodes.SIPUSH, answer);
            mv.visitInsn(org.objectweb.asm.Opcodes.IRETURN);
        }));
        entries.put("jarapp/fix/note.txt", note.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Jars.write(jar, Jars.manifest("fix-read-once", "jarapp.fix.LpOnce"), entries);
    }

    @Test
    void afterUnregisterThePatchClassLoaderIsCollected() throws Exception {
        WeakReference<ClassLoader> loader = loadUseAndRemove();
        for (int i = 0; i < 50 && loader.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(loader.get(), "the patch's class loader is still reachable after unregister");
    }

    private WeakReference<ClassLoader> loadUseAndRemove() throws Exception {
        PatchHandle h = lp().load(jar("counter.jar", "fix-counter", "jarapp.fix.CounterFix"));
        ClassLoader l = h.patch().replacements().get(0).replacement().getDeclaringClass().getClassLoader();
        h.enable();
        Counter c = new Counter();
        // On JDK 21+ the patched call is run hot enough to be JIT-compiled. On JDK 17 (kept below
        // the JIT thresholds, 200 calls), after a
        // few thousand calls something inside the JDK keeps the replacement's handle reachable
        // (seen with -Xint too, and not on JDK 25); the README lists it as a known limit.
        int calls = Runtime.version().feature() >= 21 ? 20_000 : 100;
        for (int i = 0; i < calls; i++) {
            c.next();
        }
        h.disable();
        h.unregister();
        return new WeakReference<>(l);
    }

    @Test
    void aFileThatIsNotAJarIsRefused() throws Exception {
        Path notJar = Files.writeString(dir.resolve("x.jar"), "hello");
        assertRefused(PatchException.Reason.INVALID_PATCH, "not a", notJar);
        assertRefused(PatchException.Reason.INVALID_PATCH, "no such file", dir.resolve("absent.jar"));
    }

    @Test
    void aDirectoryOrAPipeIsRefusedAsWhatItIsNotAsAMissingFile() throws Exception {
        Path directory = Files.createDirectory(dir.resolve("patches.jar"));
        assertRefused(PatchException.Reason.INVALID_PATCH, "patch JAR " + directory + ": is a directory, not a file:"
                + " give the path of a patch JAR", directory);
        Path fifo = dir.resolve("fifo.jar");
        org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0);
        // Never opened: a pipe's reader waits for a writer that may never come.
        assertRefused(PatchException.Reason.INVALID_PATCH, "patch JAR " + fifo + ": is not a regular file (a pipe, a"
                + " device or a socket): it is not read; give the path of a patch JAR", fifo);
    }

    @Test
    void aPathWithControlCharactersIsNamedEscapedInOneLine() throws Exception {
        // A file name is anyone's text (a watched directory's, a caller's): the refusal names it escaped.
        String hostile = "fix\u001b[2J\r\u0085.jar";
        String escaped = dir + "/fix\\e[2J\\r\\u0085.jar";
        Path garbage = Files.write(dir.resolve(hostile), new byte[] {'n', 'o', 't', ' ', 'a', ' ', 'z', 'i', 'p'});
        assertNamedEscaped("patch JAR " + escaped + ": ", garbage);
        assertNamedEscaped("patch JAR " + escaped + "x: no such file", dir.resolve(hostile + "x"));
        // a JAR refused after it was read whole (its patch class does not fit the target) is named the same
        Path unfit = write(hostile + ".jar", Map.of("Livepatch-Name", "unfit", "Livepatch-Class",
                "jarapp.fix.NotStaticFix"), "jarapp.fix.NotStaticFix");
        assertNamedEscaped("patch JAR " + escaped + ".jar: ", unfit);
    }

    private void assertNamedEscaped(String expected, Path jar) {
        PatchException e = assertThrows(PatchException.class, () -> lp().load(jar));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
        for (int i = 0; i < e.getMessage().length(); i++) {
            assertFalse(io.jlivepatch.internal.Text.needsEscape(e.getMessage(), i), "a control at " + i + ": "
                    + e.getMessage());
        }
    }

    @Test
    void aJarWithoutTheManifestAttributesIsRefused() throws Exception {
        assertRefused(PatchException.Reason.INVALID_PATCH, "MANIFEST.MF",
                write("nomanifest.jar", null, "jarapp.fix.CounterFix"));
        assertRefused(PatchException.Reason.INVALID_PATCH, "lacks Livepatch-Name",
                write("noname.jar", Map.of("Livepatch-Class", "jarapp.fix.CounterFix"), "jarapp.fix.CounterFix"));
        assertRefused(PatchException.Reason.INVALID_PATCH, "lacks Livepatch-Class",
                write("noclass.jar", Map.of("Livepatch-Name", "x"), "jarapp.fix.CounterFix"));
        assertRefused(PatchException.Reason.INVALID_PATCH, "is not valid",
                write("badname.jar", Map.of("Livepatch-Name", "bad name!", "Livepatch-Class", "jarapp.fix.CounterFix"),
                        "jarapp.fix.CounterFix"));
    }

    @Test
    void aMultiReleaseJarWithVersionedClassesIsRefused() throws Exception {
        // java -cp would run META-INF/versions/17's copy, a patch's loader the root one: not what a reviewer sees
        byte[] fix = Files.readAllBytes(CLASSES.resolve("jarapp/fix/CounterFix.class"));
        Map<String, String> manifest = new java.util.LinkedHashMap<>(Jars.manifest("fix-mr", "jarapp.fix.CounterFix"));
        manifest.put("Multi-Release", "true");
        Path jar = Jars.write(dir.resolve("mr.jar"), manifest, Map.of("jarapp/fix/CounterFix.class", fix,
                "META-INF/versions/17/jarapp/fix/CounterFix.class", fix));
        assertRefused(PatchException.Reason.INVALID_PATCH, "is a multi-release JAR (Multi-Release: true) with entry"
                + " 'META-INF/versions/17/jarapp/fix/CounterFix.class': a patch uses its root classes and resources on"
                + " every JDK", jar);
        Path resource = Jars.write(dir.resolve("mr-resource.jar"), manifest, Map.of("jarapp/fix/CounterFix.class", fix,
                "META-INF/versions/17/jarapp/fix/limits.txt", new byte[] {1}));
        assertRefused(PatchException.Reason.INVALID_PATCH, "with entry 'META-INF/versions/17/jarapp/fix/limits.txt'",
                resource);
    }

    @Test
    void multiReleaseIsReadAsTheJdksJarFileReadsIt() throws Exception {
        // JarFile.isMultiRelease: the manifest's bytes hold "Multi-Release: true" (any case) and the main
        // value is "true" (any case), untrimmed. Trimmed, jlivepatch refused JARs the JDK reads as one JAR.
        byte[] fix = Files.readAllBytes(CLASSES.resolve("jarapp/fix/CounterFix.class"));
        String head = "Manifest-Version: 1.0\r\nLivepatch-Name: fix-mr\r\nLivepatch-Class: jarapp.fix.CounterFix\r\n";
        Map<String, String> notTaken = new java.util.LinkedHashMap<>();
        notTaken.put("trailing-space.jar", head + "Multi-Release: true \r\n\r\n");
        notTaken.put("two-spaces.jar", head + "Multi-Release:  true\r\n\r\n");
        notTaken.put("continued.jar", head + "Multi-Release: tr\r\n ue\r\n\r\n");
        for (Map.Entry<String, String> m : notTaken.entrySet()) {
            Path jar = rawManifestJar(m.getKey(), m.getValue(), fix);
            try (java.util.jar.JarFile jdk = new java.util.jar.JarFile(jar.toFile())) {
                assertFalse(jdk.isMultiRelease(), m.getKey() + ": the JDK reads it as one JAR");
            }
            PatchHandle h = lp().load(jar);
            assertEquals("fix-mr", h.name(), m.getKey());
            h.unregister();
        }
        Path taken = rawManifestJar("lower-case.jar", head + "multi-release: TRUE\r\n\r\n", fix);
        try (java.util.jar.JarFile jdk = new java.util.jar.JarFile(taken.toFile())) {
            assertTrue(jdk.isMultiRelease(), "the JDK reads it as a multi-release JAR");
        }
        assertRefused(PatchException.Reason.INVALID_PATCH, "is a multi-release JAR (Multi-Release: true) with entry"
                + " 'META-INF/versions/17/jarapp/fix/CounterFix.class': a patch uses its root classes and resources on"
                + " every JDK", taken);
    }

    /** A JAR of {@code manifest} as written, CounterFix at its root and in META-INF/versions/17/. */
    private Path rawManifestJar(String file, String manifest, byte[] fix) throws IOException {
        Path jar = dir.resolve(file);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out)) {
            jos.putNextEntry(new JarEntry("META-INF/MANIFEST.MF"));
            jos.write(manifest.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            jos.closeEntry();
            for (String entry : List.of("jarapp/fix/CounterFix.class", "META-INF/versions/17/jarapp/fix/CounterFix.class")) {
                jos.putNextEntry(new JarEntry(entry));
                jos.write(fix);
                jos.closeEntry();
            }
        }
        return jar;
    }

    @Test
    void aMissingOrWronglyShapedLivepatchClassIsRefused() throws Exception {
        assertRefused(PatchException.Reason.INVALID_PATCH, "does not contain",
                write("missing.jar", Map.of("Livepatch-Name", "m", "Livepatch-Class", "jarapp.fix.Absent"),
                        "jarapp.fix.CounterFix"));
        // one the application has, whose copy the patch's loader would find in the application, not in the JAR
        assertRefused(PatchException.Reason.INVALID_PATCH, "names 'jarapp.fix.TaggedFix', which the JAR does not"
                + " contain", write("elsewhere.jar", Map.of("Livepatch-Name", "m", "Livepatch-Class",
                "jarapp.fix.CounterFix jarapp.fix.TaggedFix"), "jarapp.fix.CounterFix"));
        assertRefused(PatchException.Reason.SIGNATURE_MISMATCH, "not public static",
                jar("notstatic.jar", "not-static", "jarapp.fix.NotStaticFix"));
        assertRefused(PatchException.Reason.INVALID_PATCH, "no method annotated",
                jar("none.jar", "none", "jarapp.fix.NoReplacements"));
    }

    private void assertRefused(PatchException.Reason reason, String text, Path jar) {
        int before = lp().patches().size();
        PatchException e = assertThrows(PatchException.class, () -> lp().load(jar));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(text), e.getMessage());
        assertEquals(before, lp().patches().size(), "nothing registered");
        assertEquals(1, new Counter().next(), "nothing patched");
    }

    private Path jar(String file, String name, String patchClass) throws IOException {
        return write(file, Map.of("Livepatch-Name", name, "Livepatch-Description", "counts no more",
                "Livepatch-Class", patchClass), patchClass);
    }

    private Path write(String file, Map<String, String> manifest, String... classes) throws IOException {
        Path jar = dir.resolve(file);
        try (OutputStream out = Files.newOutputStream(jar);
             JarOutputStream jos = manifest == null ? new JarOutputStream(out) : new JarOutputStream(out, manifest(manifest))) {
            for (String c : classes) {
                String entry = c.replace('.', '/') + ".class";
                jos.putNextEntry(new JarEntry(entry));
                jos.write(Files.readAllBytes(CLASSES.resolve(entry)));
                jos.closeEntry();
            }
        }
        return jar;
    }

    private static Manifest manifest(Map<String, String> attributes) {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        attributes.forEach((k, v) -> m.getMainAttributes().putValue(k, v));
        return m;
    }

    private static Path classesDir() {
        try {
            return Paths.get(Counter.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Defines the named classes itself from the test class path; delegates everything else. */
    static final class IsolatedLoader extends ClassLoader {
        private final String isolated;

        IsolatedLoader(String isolated) {
            super("isolated", IsolatedLoader.class.getClassLoader());
            this.isolated = isolated;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (!name.equals(isolated)) {
                    return super.loadClass(name, resolve);
                }
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    try {
                        byte[] b = Files.readAllBytes(CLASSES.resolve(name.replace('.', '/') + ".class"));
                        c = defineClass(name, b, 0, b.length);
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                return c;
            }
        }
    }
}
