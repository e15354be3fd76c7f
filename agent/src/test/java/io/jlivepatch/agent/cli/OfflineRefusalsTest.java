package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line's refusals that need no target JVM (install, uninstall, build's signing and
 * inputs, a pid that is the command itself): exit 1, one line saying what is wrong and what to do,
 * and nothing written or removed.
 */
class OfflineRefusalsTest {

    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    private static void refused(Run r, String... fragments) {
        assertEquals(Main.REFUSED, r.code(), r.err());
        assertTrue(r.err().startsWith("jlivepatch: refused: "), r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "'" + f + "' not in: " + r.err());
        }
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertEquals("", r.out());
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> String.valueOf(p.getFileName())).sorted().toList();
        }
    }

    /**
     * A JAR over a limit of the command's own check says how to raise that limit, the property given to
     * the command's JVM: the advice was the agent option alone, which changes only the target's limits,
     * so a user who followed it was refused again by the command.
     */
    @Test
    void aLimitOfTheCommandsOwnCheckSaysHowToRaiseItThere() throws Exception {
        Path jar = tmp.resolve("big.jar");
        java.util.jar.Manifest m = new java.util.jar.Manifest();
        m.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", "big");
        m.getMainAttributes().putValue("Livepatch-Class", "a.Fix");
        try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), m)) {
            out.putNextEntry(new java.util.jar.JarEntry("data.bin"));
            out.write(new java.util.Random(7).ints(4096, 0, 256).collect(java.io.ByteArrayOutputStream::new,
                    (b, i) -> b.write(i), (a, b) -> a.write(b.toByteArray(), 0, b.size())).toByteArray());
            out.closeEntry();
        }
        io.jlivepatch.internal.jar.JarLimits before = io.jlivepatch.internal.jar.JarLimits.current();
        io.jlivepatch.internal.jar.JarLimits.setCurrent(before.with("max-jar-bytes", "1k"));
        try {
            Path dir = Files.createDirectory(tmp.resolve("patches"));
            for (Run r : List.of(run("inspect", jar.toString()), run("install", jar.toString(), dir.toString()),
                    run("load", String.valueOf(ProcessHandle.current().pid()), jar.toString()))) {
                refused(r, "INVALID_PATCH: patch JAR " + jar, "over the limit max-jar-bytes=1024 of this command's own"
                        + " check: if the JAR is genuine, raise the limit with java -Djlivepatch.max-jar-bytes=<n> -jar"
                        + " jlivepatch-agent.jar ..., and in the JVM that loads the patch with the agent option"
                        + " max-jar-bytes=<n>");
            }
            assertEquals(List.of(), list(dir));
        } finally {
            io.jlivepatch.internal.jar.JarLimits.setCurrent(before);
        }
    }

    /**
     * A class of the patch's own loader naming a Livepatch-Nestmates class is refused by inspect and
     * install as by the target (that loader would define a second, ordinary copy of the nestmate for it),
     * with no JVM to load it into; before, both took the JAR.
     */
    @Test
    void inspectAndInstallRefuseAnOwnLoaderClassNamingANestmate() throws Exception {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", "own-calls-nestmate");
        m.getMainAttributes().putValue("Livepatch-Class", "com.acme.fix.Fix");
        m.getMainAttributes().putValue("Livepatch-Nestmates", "com.acme.GreeterPeek=com.acme.Greeter");
        Path jar = tmp.resolve("own-calls-nestmate.jar");
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m)) {
            j.putNextEntry(new JarEntry("com/acme/fix/Fix.class"));
            j.write(callingPeek());
            j.closeEntry();
            j.putNextEntry(new JarEntry("com/acme/GreeterPeek.class"));
            org.objectweb.asm.ClassWriter peek = new org.objectweb.asm.ClassWriter(0);
            peek.visit(org.objectweb.asm.Opcodes.V11, org.objectweb.asm.Opcodes.ACC_PUBLIC, "com/acme/GreeterPeek",
                    null, "java/lang/Object", null);
            peek.visitEnd();
            j.write(peek.toByteArray());
            j.closeEntry();
        }
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        String why = "class 'com.acme.fix.Fix', which the patch's own class loader defines, uses"
                + " 'com.acme.GreeterPeek', which Livepatch-Nestmates defines as a hidden nestmate of com.acme.Greeter";
        refused(run("inspect", jar.toString()), "INVALID_PATCH: patch JAR " + jar, why);
        refused(run("install", jar.toString(), dir.toString()), "INVALID_PATCH: patch JAR " + jar, why);
        assertEquals(List.of(), list(dir), "nothing installed");
    }

    /**
     * A patch of the JDK method a thread pool's idle workers sit in (ThreadPoolExecutor.getTask) can never
     * load: refused by inspect, install and load's own check, as the target refuses it. Before, inspect
     * passed it (exit 0) and load attached jlivepatch to the JVM for good, to be refused there.
     */
    @Test
    void inspectAndInstallRefuseATargetNoJvmLetsBeHooked() throws Exception {
        Path jar = ReplacesJars.write(tmp, "fix-gettask", "java.util.concurrent.ThreadPoolExecutor", "getTask",
                "()Ljava/lang/Runnable;");
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        String why = "NOT_PATCHABLE: patch 'fix-gettask': java.util.concurrent.ThreadPoolExecutor.getTask()"
                + "Ljava/lang/Runnable;: classes of java.util.concurrent run the dispatch of every hook, so hooking"
                + " them would recurse: no patch can replace this method; patch the application's (or a"
                + " library's) code that calls it instead";
        refused(run("inspect", jar.toString()), why);
        refused(run("install", jar.toString(), dir.toString()), why);
        assertEquals(List.of(), list(dir), "nothing installed");
    }

    /**
     * A target written as an internal name ({@code com/acme/Greeter}) is the JAR's mistake, refused in the
     * target's words (INVALID_PATCH: not a binary class name, how to write it) as the target refuses it
     * (Patch.Replacement, before any resolution). Since the command's check of unpatchable names, inspect and
     * install took the '/' for a hidden class's and said NOT_PATCHABLE: a hidden class, which the JVM cannot
     * retransform; and a hidden class's own name ({@code com.acme.Greeter/0x...}) is still that.
     */
    @Test
    void aTargetWrittenAsAnInternalNameIsTheJarsMistakeNotAHiddenClass() throws Exception {
        Path jar = ReplacesJars.write(tmp, "fix-slashes", "com/acme/Greeter", "greet", "()Ljava/lang/String;");
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        String why = "INVALID_PATCH: patch JAR " + jar + ": target class 'com/acme/Greeter' is not a binary class name:"
                + " write it as com.acme.Greeter";
        refused(run("inspect", jar.toString()), why);
        refused(run("install", jar.toString(), dir.toString()), why);
        assertEquals(List.of(), list(dir), "nothing installed");
        Path hidden = ReplacesJars.write(Files.createDirectory(tmp.resolve("hidden")), "fix-hidden",
                "com.acme.Greeter/0x0000000800c01234", "greet", "()Ljava/lang/String;");
        refused(run("inspect", hidden.toString()), "NOT_PATCHABLE: patch 'fix-hidden': com.acme.Greeter/0x0000000800c01234"
                + ".greet()Ljava/lang/String;: it is a hidden class");
    }

    /**
     * {@code public class com.acme.fix.Fix { @Replaces(target = "com.acme.Greeter", method = "greet") public
     * static String greet(Greeter self, String name) { com.acme.GreeterPeek.class; return name; } }}.
     */
    private static byte[] callingPeek() {
        org.objectweb.asm.ClassWriter cw = new org.objectweb.asm.ClassWriter(org.objectweb.asm.ClassWriter.COMPUTE_MAXS);
        cw.visit(org.objectweb.asm.Opcodes.V11, org.objectweb.asm.Opcodes.ACC_PUBLIC, "com/acme/fix/Fix", null,
                "java/lang/Object", null);
        org.objectweb.asm.MethodVisitor mv = cw.visitMethod(org.objectweb.asm.Opcodes.ACC_PUBLIC
                | org.objectweb.asm.Opcodes.ACC_STATIC, "greet", "(Lcom/acme/Greeter;Ljava/lang/String;)Ljava/lang/String;",
                null, null);
        org.objectweb.asm.AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", "com.acme.Greeter");
        av.visit("method", "greet");
        av.visitEnd();
        mv.visitCode();
        mv.visitLdcInsn(org.objectweb.asm.Type.getObjectType("com/acme/GreeterPeek"));
        mv.visitInsn(org.objectweb.asm.Opcodes.POP);
        mv.visitVarInsn(org.objectweb.asm.Opcodes.ALOAD, 1);
        mv.visitInsn(org.objectweb.asm.Opcodes.ARETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** A patch JAR as install reads it: its manifest and its Livepatch-Class entry (not loaded here). */
    private Path patchJar(String file, String name) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", name);
        m.getMainAttributes().putValue("Livepatch-Description", "a test patch");
        m.getMainAttributes().putValue("Livepatch-Class", "com.acme.Fix");
        Path jar = tmp.resolve(file);
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m)) {
            j.putNextEntry(new JarEntry("com/acme/Fix.class"));
            j.write(new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE});
            j.closeEntry();
        }
        return jar;
    }

    @Test
    void thePidOfTheCommandItselfIsRefusedSayingWhichPidToGive() {
        refused(run("status", Long.toString(ProcessHandle.current().pid())), "pid " + ProcessHandle.current().pid()
                + " is this jlivepatch command itself: give the pid of the application JVM");
    }

    @Test
    void installRefusesWhatTheStartUpLoaderWouldNotReadAndWritesNothing() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        Path notes = Files.writeString(tmp.resolve("fix.txt"), "not a jar");
        refused(run("install", notes.toString(), dir.toString()), "the start-up loader reads only files named *.jar:"
                + " install fix.txt with --as <name.jar>");

        Path jar = patchJar("fix.jar", "fix-offline");
        Path missing = tmp.resolve("no-such-dir");
        refused(run("install", jar.toString(), missing.toString()), "no directory " + missing + ": give the directory"
                + " the JVM loads its patches from at start-up (-javaagent:jlivepatch-agent.jar=patches=<dir>); create"
                + " it first");
        assertFalse(Files.exists(missing));

        Path badName = patchJar("bad-name.jar", "bad name!");
        refused(run("install", badName.toString(), dir.toString()), "INVALID_PATCH: patch JAR " + badName
                + ": Livepatch-Name 'bad name!' is not valid: use 1 to 64 characters from [A-Za-z0-9_.-]");
        assertEquals(List.of(), list(dir), "nothing installed");
    }

    /**
     * A {@code --as} that is not a plain {@code .jar} file name is a usage error (exit 2), the one line
     * and the pointer to the options, before the directory or the JAR is read: it was refused (exit 1)
     * once the directory had been found, and, given a directory that is not there, refused for that.
     */
    @Test
    void installsAsThatIsNotAPlainJarNameIsAUsageErrorBeforeAnythingIsRead() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        Path jar = patchJar("fix.jar", "fix-offline");
        for (String as : List.of("../escaped.jar", "a/b.jar", "a\\b.jar", "fix.txt", ".jar", ".hidden.jar", "",
                "bad\nname.jar")) {
            Run r = run("install", jar.toString(), dir.toString(), "--as", as);
            usage(r, "jlivepatch: --as '" + as.replace("\n", "\\n") + "' is not a file name the start-up loader"
                    + " reads: use a name ending in .jar, without a directory, not starting with '.', e.g. --as"
                    + " 10-fix.jar");
            assertEquals(List.of("('jlivepatch install --help' lists its options)"), r.err().lines().skip(1).toList(),
                    "one line and the pointer: " + r.err());
        }
        assertEquals(List.of(), list(dir), "nothing installed");
        assertFalse(Files.exists(tmp.resolve("escaped.jar")));

        // before anything is read: neither the directory nor the JAR, which are not there either
        Path missing = tmp.resolve("no-such-dir");
        usage(run("install", tmp.resolve("no-such.jar").toString(), missing.toString(), "--as", "a/b.jar"),
                "--as 'a/b.jar' is not a file name the start-up loader reads");
        assertFalse(Files.exists(missing));
    }

    /**
     * A {@code --as} that begins or ends with white space is a usage error (exit 2), one line saying what
     * to give: the start-up loader read ' fix.jar', but a listing shows it as fix.jar, and an operator
     * could not tell the two apart. A JAR whose own name does is refused (exit 1), pointing to --as.
     */
    @Test
    void installsAsWithWhiteSpaceAtAnEndIsAUsageErrorAndWritesNothing() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        Path jar = patchJar("fix.jar", "fix-offline");
        for (String as : List.of(" fix.jar", "fix.jar ", "\u00a0fix.jar", "  10-fix.jar  ")) {
            Run r = run("install", jar.toString(), dir.toString(), "--as", as);
            usage(r, "jlivepatch: --as '" + as + "' begins or ends with white space, which a listing of the"
                    + " directory does not show: give the name without it, e.g. --as " + as.strip().replace("\u00a0",
                    ""));
            assertEquals(List.of("('jlivepatch install --help' lists its options)"), r.err().lines().skip(1).toList(),
                    "one line and the pointer: " + r.err());
        }
        usage(run("install", jar.toString(), dir.toString(), "--as", " fix.txt"), "jlivepatch: --as ' fix.txt' begins"
                + " or ends with white space, which a listing of the directory does not show: give the name without it,"
                + " e.g. --as 10-fix.jar");
        usage(run("install", tmp.resolve("no-such.jar").toString(), tmp.resolve("no-such-dir").toString(), "--as",
                "fix.jar "), "--as 'fix.jar ' begins or ends with white space");

        Path spaced = Files.copy(jar, tmp.resolve("fix.jar "));
        refused(run("install", spaced.toString(), dir.toString()), "the JAR's file name 'fix.jar ' begins or ends"
                + " with white space, which a listing of the directory does not show: install it with --as"
                + " <name.jar>, e.g. --as fix.jar");
        assertEquals(List.of(), list(dir), "nothing installed");
    }

    /** A patch JAR that passes every check install makes: agentapp.fix.GreeterFix, from the test class path. */
    private Path validJar(String file) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", "fix-greet");
        m.getMainAttributes().putValue("Livepatch-Class", "agentapp.fix.GreeterFix");
        Path jar = tmp.resolve(file);
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m);
             java.io.InputStream in = getClass().getClassLoader().getResourceAsStream("agentapp/fix/GreeterFix.class")) {
            j.putNextEntry(new JarEntry("agentapp/fix/GreeterFix.class"));
            j.write(in.readAllBytes());
            j.closeEntry();
        }
        return jar;
    }

    @Test
    void installRefusesATrustStorePasswordItCannotReadAndWritesNothing() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        Path jar = validJar("fix-greet.jar");
        String unset = "JLIVEPATCH_TEST_NEVER_SET_" + ProcessHandle.current().pid();
        assertEquals(null, System.getenv(unset));
        Path store = tmp.resolve("trust.p12");
        refused(run("install", jar.toString(), dir.toString(), "--truststore", store.toString(), "--storepass-env",
                unset), "--storepass-env: the environment variable " + unset + " is not set: export it with the trust"
                + " store's password, or use --storepass-file");
        Path noFile = tmp.resolve("no-password-file");
        refused(run("install", jar.toString(), dir.toString(), "--truststore", store.toString(), "--storepass-file",
                noFile.toString()), "--storepass-file " + noFile + " cannot be read (", "): give a file whose first line"
                + " is the trust store's password");
        assertEquals(List.of(), list(dir), "nothing installed");
    }

    /** The command's options, not the agent's (before: "check the path given as truststore="). */
    @Test
    void installNamesItsOwnOptionForATrustStoreThatIsNotThere() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        Path jar = validJar("fix-greet.jar");
        Path store = tmp.resolve("no-such-trust.p12");
        Run r = run("install", jar.toString(), dir.toString(), "--truststore", store.toString());
        refused(r, "trust store '" + store + "' does not exist: check the path given as --truststore");
        assertFalse(r.err().contains("truststore="), r.err());
        assertFalse(r.err().contains("restart the JVM"), r.err());
        assertEquals(List.of(), list(dir), "nothing installed");
    }

    @Test
    void installRefusesWhileAnotherInstallsTemporaryFileIsThereAndLeavesIt() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        Path jar = validJar("fix-greet.jar");
        Path other = Files.writeString(dir.resolve(".fix-greet.jar.tmp"), "another install's");
        refused(run("install", jar.toString(), dir.toString()), other + " exists: another install is writing it, or"
                + " one was interrupted; remove it once no install runs, then install again");
        assertEquals(List.of(".fix-greet.jar.tmp"), list(dir), "nothing installed");
        assertEquals("another install's", Files.readString(other), "left as it was");

        Files.delete(other); // what the refusal says to do
        assertEquals(Main.DONE, run("install", jar.toString(), dir.toString()).code());
        assertEquals(List.of("fix-greet.jar"), list(dir));
    }

    @Test
    void uninstallOfAFileNotInstalledSaysWhatIsAndRemovesNothing() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        Files.copy(patchJar("fix.jar", "fix-kept"), dir.resolve("fix.jar")); // as install leaves it
        refused(run("uninstall", "other.jar", dir.toString()), "no other.jar in " + dir + " (installed: ",
                "fix.jar", "fix-kept", "nothing was removed: name an installed .jar file or its patch name");
        assertEquals(List.of("fix.jar"), list(dir), "nothing removed");
    }

    @Test
    void buildsOptionsThatDoNotGoTogetherAreUsageErrorsSayingWhatToGive() throws Exception {
        Path out = tmp.resolve("fix.jar");
        Path old = Files.createDirectory(tmp.resolve("old"));
        Path password = Files.writeString(tmp.resolve("password"), "secret\n");
        String[] base = {"build", "--old", old.toString(), "--name", "fix", "-o", out.toString()};
        usage(run(base), "give the fixed build: --new <jar|dir>, or --source <file|dir> to compile it");
        usage(run(with(base, "--new", old.toString(), "--source", old.toString())), "give --new or --source, not both:"
                + " --source compiles the new build from sources");
        usage(run(with(base, "--new", old.toString(), "--classpath", old.toString())), "--classpath goes with --source:"
                + " it is what the sources are compiled against");
        usage(run("build", "--old", old.toString(), "--new", old.toString(), "--dry-run", "--sign", "keys.p12",
                "--alias", "fix", "--storepass-file", password.toString()), "--sign signs the JAR written: it does not"
                + " go with --dry-run, which writes none");
        usage(run(with(base, "--new", old.toString(), "--sign", "keys.p12", "--alias", "fix", "--storepass-env", "X",
                "--storepass-file", password.toString())), "give the keystore password once: --storepass-env or"
                + " --storepass-file");
        assertFalse(Files.exists(out), "no output");
    }

    /**
     * A --name or --hold whose form is wrong is a usage error, exit 2, before either build is read, as a
     * malformed --state is: it was refused (exit 1) once the build ran, as if the builds were at fault.
     * Each says what was wrong and what to give, in one line and where the options are listed.
     */
    @Test
    void buildsOptionValuesOfTheWrongFormAreUsageErrorsBeforeAnythingIsRead() throws Exception {
        Path out = tmp.resolve("fix.jar");
        String missing = tmp.resolve("no-such-build").toString(); // never read: the values are checked first
        String[] base = {"build", "--old", missing, "--new", missing, "-o", out.toString()};
        for (String bad : new String[] {"bad name", "", "fix'1", "fix\nx", "x".repeat(65)}) {
            Run r = run(with(base, "--name", bad));
            usage(r, "--name '" + bad.replace("\n", "\\n") + "' is not a patch name: use 1 to 64 characters from"
                    + " [A-Za-z0-9_.-], e.g. --name fix-traversal");
            assertEquals(List.of("jlivepatch: --name '" + bad.replace("\n", "\\n") + "' is not a patch name: use 1"
                    + " to 64 characters from [A-Za-z0-9_.-], e.g. --name fix-traversal",
                    "('jlivepatch build --help' lists its options)"), r.err().lines().toList());
        }
        usage(run(with(base, "--name", "fix", "--hold", "com.acme.W.run")), "--hold 'com.acme.W.run' does not name a"
                + " method to hold: write it as class.method(descriptor), e.g. com.acme.Worker.process(Ljava/lang/String;)V");
        usage(run(with(base, "--name", "fix", "--hold", "")), "--hold '' does not name a method to hold");
        usage(run(with(base, "--dry-run", "--name", "bad name")), "--name 'bad name' is not a patch name");
        usage(run(with(base, "--dry-run", "--hold", "com.acme.W.run()V", "--hold", "run()V")),
                "--hold 'run()V' does not name a method to hold");
        usage(run(with(base, "--name", "fix", "--state", "1:2", "--state", "1:3")), "--state '1:3': state 1 is given"
                + " twice: give each state id one version");
        assertFalse(Files.exists(out), "no output");
    }

    private static String[] with(String[] base, String... more) {
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    /**
     * Under LANG=C a non-ASCII {@code --as} cannot be a file name of this JVM (its file-name encoding is ASCII):
     * a usage error saying so and what to do, before anything is written, as for a path argument
     * (MainTest.aPathTheLocaleCannotNameIsRefusedSayingWhatToDo). It passed the name check and failed later with
     * "jlivepatch: failed: java.nio.file.InvalidPathException: Malformed input ..." (exit 1).
     */
    @Test
    void installsAsThatTheLocaleCannotNameIsAUsageErrorSayingWhatToDo() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        Path jar = patchJar("fix.jar", "fix-offline");
        Path err = tmp.resolve("install.err");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "install", jar.toString(),
                dir.toString(), "--as", "caf\u00e9.jar").redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LC_"));
        pb.environment().put("LANG", "C");
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the command hangs");
        String text = Files.readString(err, java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(Main.USAGE, p.exitValue(), text);
        assertTrue(text.startsWith("jlivepatch: --as '") && text.contains("cannot be used as a file name here")
                && text.contains("run the command in a UTF-8 locale (LANG=C.UTF-8), or give --as a name of ASCII"
                + " characters"), text);
        assertEquals(List.of("('jlivepatch install --help' lists its options)"), text.lines().skip(1).toList(), text);
        assertEquals(List.of(), list(dir), "nothing installed");
    }

    private static void usage(Run r, String message) {
        assertEquals(Main.USAGE, r.code(), r.err());
        assertTrue(r.err().contains(message), "'" + message + "' not in: " + r.err());
        assertEquals("", r.out());
    }

    @Test
    void buildRefusesAMissingInputOrSigningKeyAndWritesNoOutput() throws Exception {
        Path out = tmp.resolve("fix.jar");
        Path old = Files.createDirectory(tmp.resolve("old"));
        Path missing = tmp.resolve("new-missing");
        refused(run("build", "--old", old.toString(), "--new", missing.toString(), "--name", "fix", "-o",
                out.toString()), missing + " does not exist: give a JAR (a plain JAR, a Spring Boot fat JAR or a WAR),"
                + " a directory of classes or a Maven project");

        String unset = "JLIVEPATCH_TEST_NEVER_SET_" + ProcessHandle.current().pid();
        assertEquals(null, System.getenv(unset));
        Path store = Files.write(tmp.resolve("keys.p12"), new byte[] {1, 2, 3});
        refused(run("build", "--old", old.toString(), "--new", old.toString(), "--name", "fix", "-o", out.toString(),
                "--sign", store.toString(), "--alias", "fix", "--storepass-env", unset), "environment variable " + unset
                + " (--storepass-env) is not set: export it with the keystore password");

        Path noFile = tmp.resolve("no-password-file");
        refused(run("build", "--old", old.toString(), "--new", old.toString(), "--name", "fix", "-o", out.toString(),
                "--sign", store.toString(), "--alias", "fix", "--storepass-file", noFile.toString()), "keystore password"
                + " file " + noFile + " (--storepass-file) cannot be read (", "): check the path and its permissions");

        Path password = Files.writeString(tmp.resolve("password"), "secret\n");
        Path noStore = tmp.resolve("no-keys.p12");
        refused(run("build", "--old", old.toString(), "--new", old.toString(), "--name", "fix", "-o", out.toString(),
                "--sign", noStore.toString(), "--alias", "fix", "--storepass-file", password.toString()), "keystore "
                + noStore + " does not exist: give --sign the PKCS12 or JKS file that holds the signing key");

        Run garbage = run("build", "--old", old.toString(), "--new", old.toString(), "--name", "fix", "-o",
                out.toString(), "--sign", store.toString(), "--alias", "fix", "--storepass-file", password.toString());
        refused(garbage, "keystore " + store + " is not a PKCS12 or JKS key store, or is damaged (no key store type"
                + " reads it): give --sign the PKCS12 or JKS file that holds the signing key, an intact copy");

        assertFalse(Files.exists(out), "no output");
        assertEquals(List.of("keys.p12", "old", "password"), list(tmp), "nothing else written");
    }

    /**
     * build --sign with a key it cannot use, made here by keytool as an operator makes one: an alias
     * that is a certificate, not a key pair; a JKS key whose password is not the store's and is not
     * given; a JKS store holding a certificate of a type this JDK has no factory for. Each is refused
     * before anything is built, saying what is wrong and what to do; nothing is written.
     */
    @Test
    void buildRefusesASigningKeyItCannotUseAndWritesNoOutput() throws Exception {
        Path out = tmp.resolve("fix.jar");
        Path old = Files.createDirectory(tmp.resolve("old"));
        Path password = Files.writeString(tmp.resolve("password"), "store-secret\n");
        Path keys = Files.createDirectory(tmp.resolve("keys"));

        Path p12 = keys.resolve("keys.p12");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-keystore", p12.toString(), "-storepass", "store-secret");
        Path cer = keys.resolve("fix.cer");
        keytool("-exportcert", "-alias", "fix", "-file", cer.toString(), "-keystore", p12.toString(), "-storepass",
                "store-secret");
        keytool("-importcert", "-alias", "trusted", "-file", cer.toString(), "-keystore", p12.toString(),
                "-storepass", "store-secret");
        refused(sign(out, old, p12, "trusted", password), "entry 'trusted' of keystore " + p12 + " is not a private"
                + " key (it is a certificate): give --alias a key pair, a PrivateKeyEntry in keytool -list");

        // JKS keeps a key password of its own (PKCS12 as keytool makes it does not)
        Path jks = keys.resolve("keys.jks");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-keystore", jks.toString(), "-storetype", "JKS", "-storepass", "store-secret", "-keypass",
                "key-secret");
        refused(sign(out, old, jks, "fix", password), "the key 'fix' of keystore " + jks + " cannot be opened: its"
                + " password is wrong: it was taken to be the keystore's, on the first line of " + password
                + " (--storepass-file): give the key's own with --keypass-env or --keypass-file");

        // the type of each certificate is written in a JKS store: one no CertificateFactory makes
        byte[] store = Files.readAllBytes(jks);
        int at = new String(store, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("X.509");
        assertTrue(at > 0, "a JKS store names its certificates' type");
        store[at + 4] = 'Y';
        Path unknownType = Files.write(keys.resolve("unknown-type.jks"), store);
        // it is a JKS store: what is wrong is a certificate this JDK cannot read
        refused(sign(out, old, unknownType, "fix", password), "keystore " + unknownType + " holds a certificate this"
                + " JDK cannot read (X.50Y not found): " + LACKING);

        assertFalse(Files.exists(out), "no output");
        assertEquals(List.of("keys", "old", "password"), list(tmp), "nothing else written");
        assertEquals(List.of(), list(old), "nothing built");
    }

    /** What a refusal of a store or key this JDK cannot read says to do. */
    private static final String LACKING = "give --sign a key pair made with this JDK's keytool -genkeypair (e.g."
            + " -keyalg EC), or run jlivepatch build on a JDK that reads it";

    /**
     * {@code build --sign} with a key of an algorithm this JDK has no key factory for (a key made by a
     * later JDK, say ML-DSA of JDK 24 read by JDK 17): a PKCS12 store is said to lack the algorithm, not
     * to have been given the wrong password (the password is right); a JKS store, which hands such a key
     * back undecoded, is refused as a key that does not go with its certificate, not as a failure; a
     * PKCS12 store whose integrity algorithm this JDK lacks is said to be one, not to be no PKCS12 file.
     * Nothing is written.
     */
    @Test
    void buildRefusesAKeyOfAnAlgorithmThisJdkLacksSayingSoAndWritesNoOutput() throws Exception {
        Path out = tmp.resolve("fix.jar");
        Path old = Files.createDirectory(tmp.resolve("old"));
        Path password = Files.writeString(tmp.resolve("password"), "store-secret\n");
        Path keys = Files.createDirectory(tmp.resolve("keys"));
        Path p12 = keys.resolve("keys.p12");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-keystore", p12.toString(), "-storepass", "store-secret");

        Path unknownP12 = storeWithAKeyOfUnknownAlgorithm(p12, keys.resolve("unknown-key.p12"), "PKCS12");
        refused(sign(out, old, unknownP12, "fix", password), "the key 'fix' of keystore " + unknownP12 + " cannot be"
                + " opened by this JDK, which lacks an algorithm the key uses (" + UNKNOWN_OID + " KeyFactory not"
                + " available): " + LACKING);
        Path unknownJks = storeWithAKeyOfUnknownAlgorithm(p12, keys.resolve("unknown-key.jks"), "JKS");
        refused(sign(out, old, unknownJks, "fix", password), "the key 'fix' of keystore " + unknownJks + " cannot be"
                + " used (private key algorithm does not match algorithm of public key", "): " + LACKING);

        // a PKCS12 store whose integrity (MAC) algorithm this JDK lacks is one still: its digest's
        // object identifier (SHA-256, 2.16.840.1.101.3.4.2.1, keytool's default) made one no JDK has
        byte[] store = Files.readAllBytes(p12);
        byte[] sha256 = {0x06, 0x09, 0x60, (byte) 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
        int at = -1;
        for (int i = 0; i + sha256.length <= store.length; i++) {
            at = java.util.Arrays.equals(store, i, i + sha256.length, sha256, 0, sha256.length) ? i : at;
        }
        assertTrue(at > 0, "a PKCS12 store names its MAC's digest");
        store[at + sha256.length - 1] = 0x7F;
        Path unknownMac = Files.write(keys.resolve("unknown-mac.p12"), store);
        refused(sign(out, old, unknownMac, "fix", password), "keystore " + unknownMac + " cannot be read by this JDK,"
                + " which lacks an algorithm the store uses (", "2.16.840.1.101.3.4.2.127", "): " + LACKING);

        assertFalse(Files.exists(out), "no output");
        assertEquals(List.of("keys", "old", "password"), list(tmp), "nothing else written");
        assertEquals(List.of(), list(old), "nothing built");
    }

    /** An object identifier no JDK has a key factory for (the example arc of X.660). */
    private static final String UNKNOWN_OID = "1.2.3.4.5";

    /**
     * A {@code type} store at {@code file}, password store-secret, whose key pair 'fix' has
     * {@code certificates}' certificate and a PKCS#8 key of algorithm {@link #UNKNOWN_OID}, as
     * KeyStore.setKeyEntry stores a key it does not decode.
     */
    private static Path storeWithAKeyOfUnknownAlgorithm(Path certificates, Path file, String type) throws Exception {
        char[] secret = "store-secret".toCharArray();
        java.security.cert.Certificate[] chain = java.security.KeyStore.getInstance(certificates.toFile(), secret)
                .getCertificateChain("fix");
        // PrivateKeyInfo: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.2.3.4.5 }, OCTET STRING 01 02 03 04 }
        byte[] pkcs8 = {0x30, 0x11, 0x02, 0x01, 0x00, 0x30, 0x06, 0x06, 0x04, 0x2A, 0x03, 0x04, 0x05,
            0x04, 0x04, 0x01, 0x02, 0x03, 0x04};
        java.security.PrivateKey key = new java.security.PrivateKey() {
            @Override
            public String getAlgorithm() {
                return UNKNOWN_OID;
            }

            @Override
            public String getFormat() {
                return "PKCS#8";
            }

            @Override
            public byte[] getEncoded() {
                return pkcs8.clone();
            }
        };
        java.security.KeyStore store = java.security.KeyStore.getInstance(type);
        store.load(null, null);
        store.setKeyEntry("fix", key, secret, chain);
        try (OutputStream o = Files.newOutputStream(file)) {
            store.store(o, secret);
        }
        return file;
    }

    /**
     * build --sign with a key this JDK reads but cannot sign with: a JKS key of an algorithm it lacks
     * whose certificate is of that algorithm too (so the key and certificate agree, and JKS hands the
     * key back undecoded), and an EC key on secp256k1, which JDK 16 and later no longer sign with. Each
     * is refused before the patch is built, though the builds differ and would make one; and so is an
     * RSA key of 512 bits, whose signature the JDK's verifier (jdk.jar.disabledAlgorithms) takes for
     * none, so that a JVM with a trust store would refuse the patch as unsigned. Nothing is written. A
     * key it signs with builds the same patch.
     */
    @Test
    void buildRefusesAKeyItCannotSignWithBeforeBuilding() throws Exception {
        Path out = tmp.resolve("fix.jar");
        Path old = greeter("old", "return \"hello \" + name;");
        Path fixed = greeter("new", "return \"hello \" + name.trim();");
        Path password = Files.writeString(tmp.resolve("password"), "store-secret\n");
        Path keys = Files.createDirectory(tmp.resolve("keys"));
        Path p12 = keys.resolve("keys.p12");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-keystore", p12.toString(), "-storepass", "store-secret");

        Path lacking = storeOfAnAlgorithmThisJdkLacks(p12, keys.resolve("lacking.jks"));
        Run r = signBuild(out, old, fixed, lacking, password);
        refused(r, "the key 'fix' of keystore " + lacking + " cannot sign on this JDK, which has no signature"
                + " algorithm for it (", LACKED_OID, "): " + LACKING);

        Path secp256k1 = Files.write(keys.resolve("secp256k1.p12"), java.util.Base64.getMimeDecoder()
                .decode(SECP256K1_P12));
        refused(signBuild(out, old, fixed, secp256k1, password), "the key 'fix' of keystore " + secp256k1 + " cannot"
                + " sign on this JDK (", "secp256k1", "): " + LACKING);

        // keytool makes it, saying the key is disabled; the JDK's verifier takes what it signs for unsigned
        Path weak = keys.resolve("weak.p12");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "RSA", "-keysize", "512",
                "-keystore", weak.toString(), "-storepass", "store-secret");
        refused(signBuild(out, old, fixed, weak, password), "the key 'fix' of keystore " + weak + " signs what this"
                + " JDK's verifier takes for unsigned (the jdk.jar.disabledAlgorithms of its java.security leave out ",
                "withRSA or its RSA key of 512 bits), so a JVM with a trust store would refuse the patch as not signed:"
                + " give --sign a key pair made with keytool -genkeypair -keyalg EC -groupname secp256r1");

        assertFalse(Files.exists(out), "no output");
        assertEquals(List.of("keys", "new", "new-src", "old", "old-src", "password"), list(tmp),
                "nothing else written");

        Run signed = signBuild(out, old, fixed, p12, password);
        assertEquals(Main.DONE, signed.code(), signed.err());
        assertTrue(signed.out().contains("patch written: " + out + ", signed by CN=Fix"), signed.out());
    }

    /**
     * build --sign signs the JAR it built, written in a directory of its own: never a file put in its
     * place in the output's directory, which another user may write (a shared build directory). Before,
     * the built JAR was written beside the output and opened again by its path to be signed, so a JAR
     * renamed over it there was signed with the key, and every JVM trusting it would load that.
     */
    @Test
    void buildSignsTheJarItBuiltNotOneRenamedOverItBesideTheOutput() throws Exception {
        Path shared = Files.createDirectory(tmp.resolve("shared"));
        Path out = shared.resolve("fix.jar");
        Path old = greeter("old", "return \"hello \" + name;");
        Path fixed = greeter("new", "return \"hello \" + name.trim();");
        Path password = Files.writeString(tmp.resolve("password"), "store-secret\n");
        Path p12 = tmp.resolve("keys.p12");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-keystore", p12.toString(), "-storepass", "store-secret");
        Path evil = tmp.resolve("evil.jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", "fix");
        try (JarOutputStream jos = new JarOutputStream(Files.newOutputStream(evil), m)) {
            jos.putNextEntry(new JarEntry("com/acme/Evil.class"));
            jos.write(new byte[] {1, 2, 3});
            jos.closeEntry();
        }
        List<Path> signed = new java.util.ArrayList<>();
        PatchSigner.beforeSignForTests = jar -> {
            signed.add(jar);
            // the other user: its JAR over every file in the output's directory, as the signer opens it
            try (Stream<Path> files = Files.list(shared)) {
                for (Path f : files.toList()) {
                    Files.copy(evil, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        Run r;
        try {
            r = signBuild(out, old, fixed, p12, password);
        } finally {
            PatchSigner.beforeSignForTests = null;
        }
        assertEquals(Main.DONE, r.code(), r.err());
        java.util.Set<String> names = new java.util.HashSet<>();
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(out.toFile())) {
            jar.stream().forEach(e -> names.add(e.getName()));
        }
        assertFalse(names.contains("com/acme/Evil.class"), "signed the other user's JAR: " + names);
        assertTrue(names.contains("META-INF/jlivepatch/old-classes.properties"), "the JAR built: " + names);
        assertEquals(1, signed.size());
        Path scratch = signed.get(0).getParent();
        assertFalse(Files.exists(scratch), "its directory is removed: " + scratch);
        assertEquals(List.of("fix.jar"), list(shared), "nothing else written beside the output");
        if (java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            // known only while it exists: its permissions are checked by a second build's hook
            PatchSigner.beforeSignForTests = jar -> {
                try {
                    assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(jar.getParent())), "owner-only: " + jar.getParent());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            try {
                Files.delete(out);
                Run again = signBuild(out, old, fixed, p12, password);
                assertEquals(Main.DONE, again.code(), again.err());
            } finally {
                PatchSigner.beforeSignForTests = null;
            }
        }
    }

    /**
     * build --sign with a keystore file that is no key store or a damaged one, said apart from a wrong
     * password where the JDK tells them apart, and naming both where it cannot: a directory, an empty
     * file, a file this user cannot read, a truncated PKCS12 file, a text file, a file of 3 GiB; a
     * PKCS12 file whose MAC, or whose encrypted certificates, were changed, and a JKS file whose keyed
     * digest was, whose key still opens with the password (damaged, unless that is the key's password
     * only), and a JKS file given its key's password, not its store's, which reads the same; a wrong
     * password, and a PKCS12 file whose encrypted key was changed (its key does not open either, as
     * with a wrong password).
     * Nothing is built or written.
     */
    @Test
    void buildSaysWhetherAKeystoreIsDamagedNoKeyStoreOrOpenedWithTheWrongPassword() throws Exception {
        Path out = tmp.resolve("fix.jar");
        Path old = Files.createDirectory(tmp.resolve("old"));
        Path password = Files.writeString(tmp.resolve("password"), "store-secret\n");
        Path keys = Files.createDirectory(tmp.resolve("keys"));
        Path p12 = keys.resolve("keys.p12");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-keystore", p12.toString(), "-storepass", "store-secret");
        Path jks = keys.resolve("keys.jks");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-keystore", jks.toString(), "-storetype", "JKS", "-storepass", "store-secret");
        byte[] store = Files.readAllBytes(p12);
        String give = ": give --sign the PKCS12 or JKS file that holds the signing key";

        Path directory = Files.createDirectory(keys.resolve("directory.p12"));
        refused(sign(out, old, directory, "fix", password), "keystore " + directory + " is a directory" + give);
        Path empty = Files.write(keys.resolve("empty.p12"), new byte[0]);
        refused(sign(out, old, empty, "fix", password), "keystore " + empty + " is empty" + give
                + " (keytool -genkeypair makes one)");
        Path unreadable = Files.write(keys.resolve("unreadable.p12"), store);
        Files.setPosixFilePermissions(unreadable, java.util.Set.of());
        if (Files.isReadable(unreadable)) { // root reads it: a file the kernel refuses even root (EIO at 0)
            unreadable = Path.of("/proc/self/mem");
        }
        refused(sign(out, old, unreadable, "fix", password), "keystore " + unreadable + " cannot be read (",
                "): check that this user may read it");

        Path truncated = Files.write(keys.resolve("truncated.p12"), java.util.Arrays.copyOf(store, store.length / 2));
        refused(sign(out, old, truncated, "fix", password), "keystore " + truncated + " is damaged, or is not a PKCS12"
                + " or JKS key store (java.io.EOFException)" + give + ", an intact copy");
        Path text = Files.writeString(keys.resolve("text.p12"), "not a key store\n");
        refused(sign(out, old, text, "fix", password), "keystore " + text + " is not a PKCS12 or JKS key store, or is"
                + " damaged (no key store type reads it)" + give + ", an intact copy");
        // a file given by mistake, over 2 GiB (sparse): read no further than the key store types' probes
        Path huge = keys.resolve("huge.jar");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        refused(sign(out, old, huge, "fix", password), "keystore " + huge + " is not a PKCS12 or JKS key store, or is"
                + " damaged (no key store type reads it)" + give + ", an intact copy");
        Files.delete(huge);

        byte[] mac = store.clone();
        mac[mac.length - 20] ^= 1; // in the MAC's digest, the last but its salt (8 bytes) and iterations
        Path badMac = Files.write(keys.resolve("mac.p12"), mac);
        String opens = " fails its integrity check with the password given, which opens its key 'fix' (";
        String damaged = "): the file is damaged, or that is the key's password and the store has another: put the"
                + " store's password on the first line of " + password + " (--storepass-file) and give the key's with"
                + " --keypass-env or --keypass-file; if the two are one, give --sign the PKCS12 or JKS file that holds"
                + " the signing key, an intact copy";
        refused(sign(out, old, badMac, "fix", password), "keystore " + badMac + opens, damaged);
        byte[] certificates = store.clone();
        certificates[at(store, new byte[] {(byte) 0x80, (byte) 0x82}) + 20] ^= 1; // its encrypted certificates
        Path badCertificates = Files.write(keys.resolve("certificates.p12"), certificates);
        refused(sign(out, old, badCertificates, "fix", password), "keystore " + badCertificates + opens, damaged);
        byte[] digest = Files.readAllBytes(jks);
        digest[digest.length - 3] ^= 1; // JKS ends with its keyed SHA-1 digest
        Path badDigest = Files.write(keys.resolve("digest.jks"), digest);
        refused(sign(out, old, badDigest, "fix", password), "keystore " + badDigest + opens, damaged);
        // not damaged: a JKS store whose key has a password of its own, given as the store's
        Path twoPasswords = keys.resolve("two-passwords.jks");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-keystore", twoPasswords.toString(), "-storetype", "JKS", "-storepass", "other-secret", "-keypass",
                "store-secret");
        refused(sign(out, old, twoPasswords, "fix", password), "keystore " + twoPasswords + opens, damaged);

        String either = " cannot be opened: the password is wrong, or the file is damaged (it fails its integrity"
                + " check, which either does: ";
        Path wrong = Files.writeString(tmp.resolve("wrong-password"), "not-the-password\n");
        String check = "): check the keystore's password on the first line of " + wrong + " (--storepass-file); if it"
                + " is right, give --sign the PKCS12 or JKS file that holds the signing key, an intact copy";
        refused(sign(out, old, p12, "fix", wrong), "keystore " + p12 + either, check);
        refused(sign(out, old, jks, "fix", wrong), "keystore " + jks + either, check);
        byte[] key = store.clone();
        // the key bag (pkcs8ShroudedKeyBag, 1.2.840.113549.1.12.10.1.2), 200 bytes on: its encrypted key
        key[at(store, new byte[] {0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x0C, 0x0A, 0x01,
            0x02}) + 200] ^= 1;
        Path badKey = Files.write(keys.resolve("key.p12"), key);
        refused(sign(out, old, badKey, "fix", password), "keystore " + badKey + either, "): check the keystore's"
                + " password on the first line of " + password + " (--storepass-file); if it is right, give --sign");

        assertFalse(Files.exists(out), "no output");
        assertEquals(List.of("keys", "old", "password", "wrong-password"), list(tmp), "nothing else written");
        assertEquals(List.of(), list(old), "nothing built");
    }

    /**
     * A password that does not open a store or key is refused naming the option it was given with, and
     * that option's variable or file, never the password: build --sign's store ({@code --storepass-file},
     * {@code --storepass-env}) and key (taken to be the store's; {@code --keypass-file}), install
     * --truststore's store. Before, each named both options ("check the password (--storepass-env or
     * --storepass-file)"), whichever was given, and the key's refusal named neither it was given with.
     */
    @Test
    void aWrongPasswordIsRefusedNamingTheOptionAndVariableOrFileItCameFrom() throws Exception {
        Path out = tmp.resolve("fix.jar");
        Path old = Files.createDirectory(tmp.resolve("old"));
        Path keys = Files.createDirectory(tmp.resolve("keys"));
        Path p12 = keys.resolve("keys.p12");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-keystore", p12.toString(), "-storepass", "store-secret");
        Path wrong = Files.writeString(tmp.resolve("wrong-password"), "not-the-password\n");
        String check = "): check the keystore's password on the first line of " + wrong + " (--storepass-file); if it"
                + " is right, give --sign the PKCS12 or JKS file that holds the signing key, an intact copy";
        Run byFile = sign(out, old, p12, "fix", wrong);
        refused(byFile, "keystore " + p12 + " cannot be opened: the password is wrong, or the file is damaged", check);
        assertFalse(byFile.err().contains("--storepass-env"), byFile.err());
        assertFalse(byFile.err().contains("not-the-password"), byFile.err());

        // a variable every test JVM has, whose value is no keystore's password
        String path = System.getenv("PATH");
        org.junit.jupiter.api.Assumptions.assumeTrue(path != null && !path.isEmpty(), "PATH is set");
        Run byEnv = run("build", "--old", old.toString(), "--new", old.toString(), "--name", "fix", "-o",
                out.toString(), "--sign", p12.toString(), "--alias", "fix", "--storepass-env", "PATH");
        refused(byEnv, "): check the keystore's password in environment variable PATH (--storepass-env); if it is"
                + " right, give --sign");
        assertFalse(byEnv.err().contains("--storepass-file"), byEnv.err());
        assertFalse(byEnv.err().contains(path), "the variable's value is not printed: " + byEnv.err());

        // a JKS key whose password is its own: taken to be the store's, then given wrong
        Path password = Files.writeString(tmp.resolve("password"), "store-secret\n");
        Path jks = keys.resolve("keys.jks");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-keystore", jks.toString(), "-storetype", "JKS", "-storepass", "store-secret", "-keypass",
                "key-secret");
        refused(sign(out, old, jks, "fix", password), "the key 'fix' of keystore " + jks + " cannot be opened: its"
                + " password is wrong: it was taken to be the keystore's, on the first line of " + password
                + " (--storepass-file): give the key's own with --keypass-env or --keypass-file");
        Run key = run("build", "--old", old.toString(), "--new", old.toString(), "--name", "fix", "-o", out.toString(),
                "--sign", jks.toString(), "--alias", "fix", "--storepass-file", password.toString(), "--keypass-file",
                wrong.toString());
        refused(key, "the key 'fix' of keystore " + jks + " cannot be opened: its password is wrong: check the key's"
                + " password on the first line of " + wrong + " (--keypass-file)");
        assertFalse(key.err().contains("--keypass-env"), key.err());

        // install --truststore: a store the password given does not open
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        Path jar = validJar("fix-greet.jar");
        Run trust = run("install", jar.toString(), dir.toString(), "--truststore", p12.toString(), "--storepass-file",
                wrong.toString());
        refused(trust, "trust store '" + p12 + "' cannot be read: the password is wrong (or the file was changed):"
                + " put the trust store's password on the first line of " + wrong + " (--storepass-file)");
        assertFalse(trust.err().contains("--storepass-env"), trust.err());
        Run trustEnv = run("install", jar.toString(), dir.toString(), "--truststore", p12.toString(), "--storepass-env",
                "PATH");
        refused(trustEnv, "the password is wrong (or the file was changed): put the trust store's password in"
                + " environment variable PATH (--storepass-env)");
        assertFalse(trustEnv.err().contains("--storepass-file"), trustEnv.err());
        assertFalse(trustEnv.err().contains(path), trustEnv.err());

        assertFalse(Files.exists(out), "no output");
        assertEquals(List.of(), list(dir), "nothing installed");
        assertEquals(List.of(), list(old), "nothing built");
    }

    /** Where {@code part} first is in {@code bytes}. */
    private static int at(byte[] bytes, byte[] part) {
        for (int i = 0; i + part.length <= bytes.length; i++) {
            if (java.util.Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }

    /**
     * build --sign with a key pair a JVM's trust policy would refuse what it signs with, or that cannot
     * sign at all: a certificate expired or not valid yet (the policy checks them at load time, without
     * timestamps), and a PKCS12 key without its certificate (OpenSSL's pkcs12 -export -nocerts). Each
     * is refused before anything is built from builds that make a patch, saying so; nothing is written.
     */
    @Test
    void buildRefusesAKeyWhoseCertificateIsMissingOrNotValidNow() throws Exception {
        Path out = tmp.resolve("fix.jar");
        Path old = greeter("old", "return \"hello \" + name;");
        Path fixed = greeter("new", "return \"hello \" + name.trim();");
        Path password = Files.writeString(tmp.resolve("password"), "store-secret\n");
        Path keys = Files.createDirectory(tmp.resolve("keys"));

        Path expired = keys.resolve("expired.p12");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-startdate", "-3d", "-validity", "1", "-keystore", expired.toString(), "-storepass", "store-secret");
        refused(signBuild(out, old, fixed, expired, password), "entry 'fix' of keystore " + expired + ": its certificate"
                + " (CN=Fix) expired on ", ", and a JVM with a trust store refuses what it signs: give --alias a key"
                + " pair whose certificates are valid (keytool -genkeypair makes one; renew a CA's)");
        Path future = keys.resolve("future.p12");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-startdate", "+3d", "-validity", "30", "-keystore", future.toString(), "-storepass", "store-secret");
        refused(signBuild(out, old, fixed, future, password), "entry 'fix' of keystore " + future + ": its certificate"
                + " (CN=Fix) is not valid before ", ", and a JVM with a trust store refuses what it signs until then:"
                + " give --alias a key pair whose certificates are valid now, or build the patch from then on");

        Path noCertificate = Files.write(keys.resolve("no-certificate.p12"), java.util.Base64.getMimeDecoder()
                .decode(NO_CERTIFICATE_P12));
        refused(signBuild(out, old, fixed, noCertificate, password), "entry 'fix' of keystore " + noCertificate + " is a"
                + " private key without its certificate, which a signed JAR carries: give --alias a key pair (keytool"
                + " -genkeypair), or make the store again with the key's certificate (openssl pkcs12 -export -in"
                + " <cert>)");

        assertFalse(Files.exists(out), "no output");
        assertEquals(List.of("keys", "new", "new-src", "old", "old-src", "password"), list(tmp),
                "nothing else written");
    }

    /**
     * A PKCS12 store, password store-secret, of the key 'fix' without its certificate, as
     * {@code openssl pkcs12 -export -nocerts -name fix -passout pass:store-secret} (OpenSSL 3) makes it
     * (of {@link #SECP256K1_P12}'s key: it is never decoded).
     */
    private static final String NO_CERTIFICATE_P12 = """
            MIIBmAIBAzCCAU4GCSqGSIb3DQEHAaCCAT8EggE7MIIBNzCCATMGCSqGSIb3DQEHAaCCASQEggEgMIIBHDCCARgGCyqGSIb3DQEM
            CgECoIHvMIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhhwxjz1GqRyQICCAAwDAYIKoZIhvcNAgkFADAdBglghkgB
            ZQMEASoEEOkb73XVrqOuW7sou8NQ3nMEgZCBrlXQyND67nBygLO6okfXsDyj7NcGVZFTz9QIF73SqCkK9pli+329ZCvFPNSKTSx5
            iYq6bA4tfIkWbipxiL+nIiNd5nsxT7P4zlMrEEXEpz6bh9a+yifQw0vX1CAW8WWbYJSXaO1UxEa+irTWDyTFJzeA/e7eJnkRi77S
            3gkOfDQ28R64nSUtKgBTTn+UHHYxFzAVBgkqhkiG9w0BCRQxCB4GAGYAaQB4MEEwMTANBglghkgBZQMEAgEFAAQgA+hZVPW38ST3
            1UpV1pvuMPJR7hGSBuKPYekH6bCr4VMECGSmqeXmINMXAgIIAA==
            """;

    /** id-ecPublicKey's arc with a last number no JDK has: 1.2.840.10045.2.127. */
    private static final String LACKED_OID = "1.2.840.10045.2.127";

    /**
     * A JKS store, password store-secret, whose key pair 'fix' is of algorithm {@link #LACKED_OID}:
     * {@code certificates}' EC certificate with its key's algorithm renamed so (its signature no longer
     * verifies, which no key store checks), and a PKCS#8 key of the same algorithm.
     */
    private static Path storeOfAnAlgorithmThisJdkLacks(Path certificates, Path file) throws Exception {
        char[] secret = "store-secret".toCharArray();
        byte[] cert = java.security.KeyStore.getInstance(certificates.toFile(), secret).getCertificate("fix")
                .getEncoded();
        byte[] ecPublicKey = {0x06, 0x07, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x02, 0x01};
        int at = -1;
        for (int i = 0; i + ecPublicKey.length <= cert.length; i++) {
            at = java.util.Arrays.equals(cert, i, i + ecPublicKey.length, ecPublicKey, 0, ecPublicKey.length) ? i : at;
        }
        assertTrue(at > 0, "an EC certificate names id-ecPublicKey");
        cert[at + ecPublicKey.length - 1] = 0x7F;
        java.security.cert.Certificate lacked = java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(cert));
        assertEquals(LACKED_OID, lacked.getPublicKey().getAlgorithm());
        // PrivateKeyInfo: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.2.840.10045.2.127 }, OCTET STRING 01 02 03 04 }
        byte[] pkcs8 = {0x30, 0x14, 0x02, 0x01, 0x00, 0x30, 0x09, 0x06, 0x07, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE,
            0x3D, 0x02, 0x7F, 0x04, 0x04, 0x01, 0x02, 0x03, 0x04};
        java.security.KeyStore store = java.security.KeyStore.getInstance("JKS");
        store.load(null, null);
        store.setKeyEntry("fix", new Pkcs8(LACKED_OID, pkcs8), secret, new java.security.cert.Certificate[] {lacked});
        try (OutputStream o = Files.newOutputStream(file)) {
            store.store(o, secret);
        }
        return file;
    }

    /** A private key of any algorithm, as its PKCS#8 bytes. */
    private record Pkcs8(String algorithm, byte[] encoded) implements java.security.PrivateKey {
        @Override
        public String getAlgorithm() {
            return algorithm;
        }

        @Override
        public String getFormat() {
            return "PKCS#8";
        }

        @Override
        public byte[] getEncoded() {
            return encoded.clone();
        }
    }

    /**
     * A PKCS12 store, password store-secret, of key pair 'fix' on EC curve secp256k1 with a self-signed
     * certificate valid until 2126 (JDK 17 makes no such key), made by OpenSSL 3:
     * {@code openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp256k1 -days 36500 -nodes -subj /CN=K1}
     * then {@code openssl pkcs12 -export -name fix -passout pass:store-secret}.
     */
    private static final String SECP256K1_P12 = """
            MIIEMwIBAzCCA+kGCSqGSIb3DQEHAaCCA9oEggPWMIID0jCCAnIGCSqGSIb3DQEHBqCCAmMwggJfAgEAMIICWAYJKoZIhvcNAQcB
            MFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAh9q2v+K4lOtQICCAAwDAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEH4f
            jRiPzLCVb30/2Jvit7GAggHw//dYoaJjHZ1tS1mQes1th0GuAsrKI+BnVBmT/n0HBHcps8Noe0agYm+dieKpkhSTYST2lbzi98R/
            YZJxmVyhF/pPBExPp9ivZ92p8aI95iSv63W+j1mu191kf/uCJb+uWQpCMd4YxqQ8iJIl/gCtuIacrmfUHu5WUfkTI6gZviPlpsjz
            mlgx7aYMzWxNxBbOTRiYHzJt58cGXKJQshDB8hDaFlVh+WvIq9lkEPo4MHz2baLiXcqy9gqzuMt1iZmwXhYUJYwRuAHZl4OiQsqS
            O7dYkT4+wDZ8Y0xWoY7jRMA9P3Jgflpp50hyFcKrhMB/hwNqtYQUR25nIlSNJEKSdEiOm8D3un5jDo+lB0h871OJzJgfVeYJzLEV
            BW78ZJqmhVsrNGmkPocGlgfQPPbKXHXMqwfusfvKs7AN4mh3iWvpo33N/rOXafBK6epdiR+uu2sKzv/ODd5WAHmfjep4UErP85MN
            4FOcvgwk5kdKMQFo5dnN4AzaZvJU79EE3SP8CzrJcalJsCF/H2Gzc4douCPEXLMGoVIc4VgzyepV2ATQVu8SUffcF8zYJuh7tKW4
            SZdFiOXC7tw7hu18Pmle0iGFRjIcf/pVHuk/BcINq9ua+1+YNEHZ/X6k1G5fIKG0Y7sbfVwZ4AQywQxtw6TyDzCCAVgGCSqGSIb3
            DQEHAaCCAUkEggFFMIIBQTCCAT0GCyqGSIb3DQEMCgECoIHvMIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAgM4CjV
            1dYvNAICCAAwDAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEECETVcnW2ojWcKDnNt03TqEEgZDWItmuxtv2C9OaIz/PeXoelXdr
            zuxhoe9F99SpHCDRjNMsTLRGW1Q8T+gnQOO6YqU5blumlLB5HuXMlMQt6aYT2YzhBDnd5NtXJWKFjXZ6Q+jaWjK91yryM04kYS7g
            EnhMBk1uTUjOLGOjunZJPoL5fbxlTrF2LTm1ev/NTsjxl0s/mhVYXsw6Wxk13Pbmi+QxPDAVBgkqhkiG9w0BCRQxCB4GAGYAaQB4
            MCMGCSqGSIb3DQEJFTEWBBQOQ1wHUv/J9TD08VvGhkL5nu21tDBBMDEwDQYJYIZIAWUDBAIBBQAEIPzeOQJgnoxTSXOiAqJxbM3b
            qXztwT2iWZCjwJy+xK/pBAhYdSjmebbU4wICCAA=
            """;

    /** A class directory of com.acme.Greeter whose greet returns {@code body}, compiled here. */
    private Path greeter(String release, String body) throws IOException {
        Path src = Files.createDirectories(tmp.resolve(release + "-src"));
        Path java = Files.writeString(src.resolve("Greeter.java"), "package com.acme;\npublic class Greeter {\n"
                + "    public String greet(String name) {\n        " + body + "\n    }\n}\n");
        Path classes = Files.createDirectories(tmp.resolve(release));
        assertEquals(0, javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null, "--release", "17",
                "-d", classes.toString(), java.toString()), "javac " + release);
        return classes;
    }

    private static Run signBuild(Path out, Path old, Path fixed, Path keystore, Path password) {
        return run("build", "--old", old.toString(), "--new", fixed.toString(), "--name", "fix", "-o", out.toString(),
                "--sign", keystore.toString(), "--alias", "fix", "--storepass-file", password.toString());
    }

    private static Run sign(Path out, Path old, Path keystore, String alias, Path password) {
        return run("build", "--old", old.toString(), "--new", old.toString(), "--name", "fix", "-o", out.toString(),
                "--sign", keystore.toString(), "--alias", alias, "--storepass-file", password.toString());
    }

    /** This JDK's keytool, as an operator runs it; it must exit 0. */
    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
                "keytool").toString(), "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-noprompt"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close(); // a prompt ends at once instead of waiting for an answer
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "keytool hung"); // a hang detector only
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + output);
    }
}
