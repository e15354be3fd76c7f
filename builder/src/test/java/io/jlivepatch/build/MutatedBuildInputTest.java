package io.jlivepatch.build;

import io.jlivepatch.BuildReport;
import io.jlivepatch.PatchBuild;
import io.jlivepatch.PatchException;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.jar.PatchJar;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damaged and hostile builds never make {@code jlivepatch build} write a bad patch: valid pairs of
 * the corpus (a class directory, plain JARs, a Spring Boot fat JAR with a nested library JAR)
 * mutated case by case (class-file bits and bytes, truncated and empty class files, huge
 * constant-pool counts, a class under another class's path, hostile class names, entry names with
 * {@code ..}, a leading {@code /}, backslashes, control characters or broken UTF-8, duplicated
 * entries, damaged and truncated zip headers, entries claiming a huge size, manifests with control
 * characters, directory symlink loops and symlinks leading out of the build, the same inside the
 * nested JAR) are built through {@code PatchBuild}, as the command builds them. Each case either
 * writes a patch JAR that core's {@link PatchJar} reader accepts, or is refused: a report's
 * problems, or the builder's own {@code IOException} or {@code IllegalArgumentException} whose
 * message is one line, escapes control characters and is no internal exception's; and then no
 * output file is left, or the one there before is as it was. Deterministic: every case has a fixed
 * seed, in its name.
 */
class MutatedBuildInputTest {

    /**
     * Cases per (mutation, base): 240 cases in all, about 10 s. A longer search takes
     * {@code -Djlivepatch.fuzz.cases=150} (6000, about 3 minutes; the seeds it found are in
     * {@link BuildDamagedInputTest}), and {@code -Djlivepatch.fuzz.first=150} the seeds after those.
     */
    private static final int CASES = Integer.getInteger("jlivepatch.fuzz.cases", 6);
    /** The first case number of each (mutation, base): a longer search may start past the seeds run before. */
    private static final int FIRST = Integer.getInteger("jlivepatch.fuzz.first", 0);

    /** The first seed: a case's seed is this plus its mutation's, its base's and its own number. */
    private static final long SEED = 0x6a6c_b000_0000L;

    /**
     * A message naming an exception type is the JDK's or ASM's words, not the builder's: a JDK or
     * ASM exception's qualified name, or the simple name of one a parser throws (not inside a
     * descriptor, {@code Ljava/lang/IllegalStateException;}, which a report line may quote).
     */
    private static final Pattern EXCEPTION_NAME = Pattern.compile("(?<![/\\w$])((java|javax|jdk|sun|org\\.objectweb)"
            + "\\.[\\w.$]*(Exception|Error)|(ArrayIndexOutOfBounds|IndexOutOfBounds|StringIndexOutOfBounds|NullPointer"
            + "|ClassCast|IllegalArgument|IllegalState|NegativeArraySize|Arithmetic|UncheckedIO|Zip|EOF|NoSuchFile"
            + "|FileSystemLoop|AccessDenied|InvalidPath|Malformed|UnsupportedOperation)Exception|StackOverflowError"
            + "|OutOfMemoryError)\\b");

    /** What an existing output file holds before a case: a refused case must leave it so. */
    private static final byte[] EARLIER = "an earlier patch".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;

    private static final Map<String, Base> BASES = new LinkedHashMap<>();
    /** A valid class file outside every build, for the symlinks that lead out. */
    private static Path outside;

    /** How a base is given to the builder. */
    enum Form { DIRECTORY, JAR, BOOT }

    /**
     * One file of a build: its name as bytes (a mutation may make it any bytes) and its content, or
     * (in a directory) a symbolic link to {@code link}.
     */
    record Entry(byte[] name, byte[] content, String link) {
        Entry(String name, byte[] content) {
            this(name.getBytes(StandardCharsets.UTF_8), content, null);
        }

        String text() {
            return new String(name, StandardCharsets.UTF_8);
        }

        boolean isClass() {
            return link == null && text().endsWith(".class");
        }

        boolean isJar() {
            return link == null && text().endsWith(".jar");
        }

        Entry withContent(byte[] c) {
            return new Entry(name, c, null);
        }

        Entry withName(String n) {
            return new Entry(n.getBytes(StandardCharsets.UTF_8), content, link);
        }
    }

    /** A valid pair: the old and the new build's files. */
    record Base(Form form, List<Entry> oldBuild, List<Entry> newBuild) {
    }

    /** The pair a mutation makes. */
    record Pair(List<Entry> oldBuild, List<Entry> newBuild) {
    }

    @BeforeAll
    static void bases() throws Exception {
        BASES.put("body-dir", new Base(Form.DIRECTORY, files("supported", "body", "old", ""),
                files("supported", "body", "new", "")));
        List<Entry> oldJar = new ArrayList<>(List.of(manifest("Manifest-Version: 1.0\r\nCreated-By: 17 (corpus)\r\n")));
        oldJar.addAll(files("supported", "newclass", "old", ""));
        List<Entry> newJar = new ArrayList<>(List.of(manifest("Manifest-Version: 1.0\r\nCreated-By: 17 (corpus)\r\n")));
        newJar.addAll(files("supported", "newclass", "new", ""));
        BASES.put("newclass-jar", new Base(Form.JAR, oldJar, newJar));
        BASES.put("lambda-boot", new Base(Form.BOOT, boot("old"), boot("new")));
        outside = Files.write(Files.createDirectories(dir.resolve("outside/com/acme/body")).resolve("Pricing.class"),
                Files.readAllBytes(Corpus.build("supported", "body", "new").resolve("com/acme/body/Pricing.class")));
        for (Map.Entry<String, Base> b : BASES.entrySet()) {
            // every base builds as it is: a refusal of a mutant is the mutation's doing
            Path caseDir = Files.createDirectories(dir.resolve("base-" + b.getKey()));
            Path out = caseDir.resolve("out/fix.jar");
            Files.createDirectories(out.getParent());
            BuildReport r = PatchBuild.compare(materialize(b.getValue().form(), b.getValue().oldBuild(), caseDir, "old"),
                    materialize(b.getValue().form(), b.getValue().newBuild(), caseDir, "new")).name("fuzz").writeTo(out);
            assertFalse(r.refused(), b.getKey() + ": " + r.lines());
            PatchJar.read(out);
        }
    }

    /** A fat JAR of the lambda case's classes, with the private-method case's as its nested library. */
    private static List<Entry> boot(String build) throws IOException {
        List<Entry> out = new ArrayList<>();
        out.add(manifest("Manifest-Version: 1.0\r\nMain-Class: " + Archives.LAUNCHER.replace('/', '.')
                + "\r\nStart-Class: com.acme.lambda.Driver\r\n"));
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, Archives.LAUNCHER, null, "java/lang/Object", null);
        cw.visitEnd();
        out.add(new Entry(Archives.LAUNCHER + ".class", cw.toByteArray()));
        out.addAll(files("supported", "lambda", build, "BOOT-INF/classes/"));
        List<Entry> lib = new ArrayList<>(List.of(manifest("Manifest-Version: 1.0\r\n")));
        lib.addAll(files("supported", "privatemethod", build, ""));
        out.add(new Entry("BOOT-INF/lib/util-1.0.jar", zip(lib)));
        return out;
    }

    private static Entry manifest(String text) {
        return new Entry("META-INF/MANIFEST.MF", text.getBytes(StandardCharsets.UTF_8));
    }

    private static List<Entry> files(String kind, String name, String build, String prefix) throws IOException {
        List<Entry> out = new ArrayList<>();
        Archives.files(Corpus.build(kind, name, build)).forEach((n, b) -> out.add(new Entry(prefix + n, b)));
        return out;
    }

    // ------------------------------------------------------------------------------------------------
    // The cases

    @TestFactory
    Stream<DynamicTest> aMutatedBuildGivesAPatchThatLoadsOrAOneLineRefusalAndNoFile() {
        List<DynamicTest> tests = new ArrayList<>();
        int b = 0;
        for (Map.Entry<String, Base> base : BASES.entrySet()) {
            for (Mutation m : Mutation.values()) {
                if (!m.appliesTo(base.getValue().form())) {
                    continue;
                }
                for (int i = FIRST; i < FIRST + CASES && i < 1_000; i++) {
                    long seed = SEED + m.ordinal() * 100_000L + b * 1_000L + i;
                    tests.add(DynamicTest.dynamicTest(m + " of " + base.getKey() + ", seed " + seed,
                            () -> buildCase(base.getKey(), m, seed)));
                }
            }
            b++;
        }
        return tests.stream();
    }

    /**
     * One case: the mutant pair built into a file that is absent or holds an earlier patch ({@code seed}
     * picks); it must give a patch that core reads or be refused cleanly, leaving no file behind.
     */
    static void buildCase(String baseName, Mutation m, long seed) throws Exception {
        Base base = BASES.get(baseName);
        Random rnd = new Random(seed);
        Pair mutant = m.apply(base, rnd);
        String what = m + " of " + baseName + ", seed " + seed;
        Path caseDir = Files.createDirectories(dir.resolve("case-" + seed));
        try {
            Path oldBuild = materialize(base.form(), mutant.oldBuild(), caseDir, "old");
            Path newBuild = materialize(base.form(), mutant.newBuild(), caseDir, "new");
            Path outDir = Files.createDirectories(caseDir.resolve("out"));
            Path out = outDir.resolve("fix.jar");
            boolean existing = rnd.nextBoolean();
            if (existing) {
                Files.write(out, EARLIER);
            }
            BuildReport report;
            try {
                report = PatchBuild.compare(oldBuild, newBuild).name("fuzz").writeTo(out);
            } catch (IOException | IllegalArgumentException e) {
                assertCleanRefusal(what, e);
                assertLeftAsItWas(what, out, existing);
                return;
            } catch (Throwable t) {
                throw new AssertionError(what + ": the build let " + t + " escape", t);
            }
            for (String line : report.lines()) {
                assertOneCleanLine(what + ": a report line", line);
            }
            if (report.refused()) {
                assertLeftAsItWas(what, out, existing);
                return;
            }
            try {
                PatchJar.read(out);
            } catch (PatchException e) {
                throw new AssertionError(what + ": the build wrote a patch core refuses: " + e.getMessage(), e);
            }
            try (Stream<Path> left = Files.list(outDir)) {
                assertEquals(List.of(out), left.toList(), what + ": the patch and nothing else");
            }
        } finally {
            Corpus.delete(caseDir);
        }
    }

    /** The builder's own error: its type, one line, control characters escaped, in its own words. */
    static void assertCleanRefusal(String what, Exception e) {
        String message = e.getMessage();
        assertTrue(e.getClass() == IOException.class || e.getClass() == IllegalArgumentException.class,
                what + ": not the builder's own error but " + e);
        assertTrue(message != null && !message.isBlank(), what + ": an error without a message");
        assertOneCleanLine(what, message);
        assertFalse(message.startsWith("java.") || EXCEPTION_NAME.matcher(message).find(),
                what + ": an internal exception's words, not the builder's: " + message);
    }

    private static void assertOneCleanLine(String what, String line) {
        for (int i = 0; i < line.length(); i++) {
            assertFalse(Text.needsEscape(line, i), what + ": an unescaped control character at " + i + " of: "
                    + Text.clean(line));
        }
    }

    private static void assertLeftAsItWas(String what, Path out, boolean existing) throws IOException {
        if (existing) {
            assertArrayEquals(EARLIER, Files.readAllBytes(out), what + ": the earlier output file changed");
        } else {
            assertFalse(Files.exists(out), what + ": a refused build left an output file");
        }
        try (Stream<Path> left = Files.list(out.getParent())) {
            assertEquals(existing ? List.of(out) : List.of(), left.toList(), what + ": and nothing beside it");
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Builds on disk

    /** The build's files as the builder is given them: a directory, or an archive written byte by byte. */
    static Path materialize(Form form, List<Entry> entries, Path caseDir, String name) throws IOException {
        if (form != Form.DIRECTORY) {
            boolean raw = entries.size() == 1 && Arrays.equals(RAW, entries.get(0).name());
            return Files.write(caseDir.resolve(name + (form == Form.BOOT ? "-boot.jar" : ".jar")),
                    raw ? entries.get(0).content() : zip(entries));
        }
        Path root = Files.createDirectories(caseDir.resolve(name));
        for (Entry e : entries) {
            Path f = root.resolve(e.text()).normalize();
            if (!f.startsWith(root) || f.equals(root)) {
                throw new IllegalStateException("a directory mutation named " + e.text() + ": outside the build");
            }
            Files.createDirectories(f.getParent());
            if (e.link() != null) {
                Files.createSymbolicLink(f, Path.of(e.link()));
            } else {
                Files.write(f, e.content());
            }
        }
        return root;
    }

    /**
     * A zip of these entries, written byte by byte (duplicates and any name bytes allowed), each
     * deflated with its true sizes and CRC: whatever is wrong with it is the mutation's.
     */
    static byte[] zip(List<Entry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream central = new ByteArrayOutputStream();
        for (Entry e : entries) {
            CRC32 crc = new CRC32();
            crc.update(e.content());
            byte[] data = deflate(e.content());
            int offset = out.size();
            header(out, false, e.name(), data.length, e.content().length, crc.getValue(), offset);
            out.writeBytes(data);
            header(central, true, e.name(), data.length, e.content().length, crc.getValue(), offset);
        }
        int cdOffset = out.size();
        byte[] cd = central.toByteArray();
        out.writeBytes(cd);
        le4(out, 0x06054b50);
        le2(out, 0);
        le2(out, 0);
        le2(out, entries.size());
        le2(out, entries.size());
        le4(out, cd.length);
        le4(out, cdOffset);
        le2(out, 0);
        return out.toByteArray();
    }

    private static byte[] deflate(byte[] content) {
        Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        try {
            d.setInput(content);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    private static void header(ByteArrayOutputStream o, boolean central, byte[] name, long csize, long usize, long crc,
                               int offset) {
        le4(o, central ? 0x02014b50 : 0x04034b50);
        if (central) {
            le2(o, 20);
        }
        le2(o, 20);
        le2(o, 0x800); // names in UTF-8
        le2(o, 8);
        le2(o, 0);
        le2(o, 0x21);
        le4(o, (int) crc);
        le4(o, (int) csize);
        le4(o, (int) usize);
        le2(o, name.length);
        le2(o, 0);
        if (central) {
            le2(o, 0);
            le2(o, 0);
            le2(o, 0);
            le4(o, 0);
            le4(o, offset);
        }
        o.writeBytes(name);
    }

    private static void le2(ByteArrayOutputStream o, int v) {
        o.write(v & 0xff);
        o.write((v >>> 8) & 0xff);
    }

    private static void le4(ByteArrayOutputStream o, int v) {
        le2(o, v & 0xffff);
        le2(o, (v >>> 16) & 0xffff);
    }

    /** The entries of a zip, in their order. */
    static List<Entry> unzip(byte[] zip) throws IOException {
        List<Entry> out = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                out.add(new Entry(e.getName(), in.readAllBytes()));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------
    // The mutations

    /** Names a renamed entry may get in an archive; a directory takes only those a file system can hold. */
    private static final List<String> ENTRY_NAMES = List.of("../escaped/%s", "/%s", "%s\\", "\\%s", "./%s", "a/../%s",
            "%s/../../x", "//%s", "%s\u001b[2J", "\u001b]0;title\u0007%s", "%s\n", "\r%s", "%s\u202e", "%s\u0000");

    /** What a class's simple name gets to become hostile: each legal in a JVM class name (JVMS 4.2.1). */
    private static final List<String> NAME_PIECES = List.of(" ", "=", "\u001b[2J", "\n", "#", ":", "\u00ef", "\u202e",
            "\\", "!", "\u0000", "%", "\t", "\uD83D\uDE00");

    enum Mutation {
        /** One to four bits of a class file flipped. */
        CLASS_BITS(true, true) {
            @Override
            List<Entry> one(List<Entry> e, Random rnd, Form form) {
                int i = pick(e, Entry::isClass, rnd);
                byte[] c = e.get(i).content().clone();
                for (int n = 1 + rnd.nextInt(4); n > 0; n--) {
                    c[rnd.nextInt(c.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
                return replace(e, i, c);
            }
        },
        /** One to three bytes of a class file set to values parsers trip on. */
        CLASS_BYTES(true, true) {
            @Override
            List<Entry> one(List<Entry> e, Random rnd, Form form) {
                int i = pick(e, Entry::isClass, rnd);
                byte[] c = e.get(i).content().clone();
                byte[] special = {0, (byte) 0xFF, 0x7F, (byte) 0x80, 1, (byte) 0xFE};
                for (int n = 1 + rnd.nextInt(3); n > 0; n--) {
                    c[rnd.nextInt(c.length)] = special[rnd.nextInt(special.length)];
                }
                return replace(e, i, c);
            }
        },
        /** A class file cut short. */
        CLASS_TRUNCATED(true, true) {
            @Override
            List<Entry> one(List<Entry> e, Random rnd, Form form) {
                int i = pick(e, Entry::isClass, rnd);
                byte[] c = e.get(i).content();
                return replace(e, i, Arrays.copyOf(c, rnd.nextInt(c.length)));
            }
        },
        /** An empty class file. */
        CLASS_EMPTY(true, true) {
            @Override
            List<Entry> one(List<Entry> e, Random rnd, Form form) {
                return replace(e, pick(e, Entry::isClass, rnd), new byte[0]);
            }
        },
        /** The constant pool's count made huge, zero or off by one. */
        POOL_COUNT(true, true) {
            @Override
            List<Entry> one(List<Entry> e, Random rnd, Form form) {
                int i = pick(e, Entry::isClass, rnd);
                byte[] c = e.get(i).content().clone();
                int old = (c[8] & 0xFF) << 8 | (c[9] & 0xFF);
                int[] choices = {0xFFFF, 0x8000, 0x7FFF, 0, 1, old + 1, old - 1, old * 2};
                int v = choices[rnd.nextInt(choices.length)];
                c[8] = (byte) (v >> 8);
                c[9] = (byte) v;
                return replace(e, i, c);
            }
        },
        /** A class file under another class's path (its name does not match it), or moved to another package. */
        CLASS_MISPLACED(true, true) {
            @Override
            List<Entry> one(List<Entry> e, Random rnd, Form form) {
                int i = pick(e, Entry::isClass, rnd);
                List<Entry> out = new ArrayList<>(e);
                if (rnd.nextBoolean()) {
                    int j = pick(e, Entry::isClass, rnd);
                    out.set(i, e.get(i).withContent(e.get(j == i ? (j + 1) % e.size() : j).content()));
                } else {
                    String n = e.get(i).text();
                    int slash = n.lastIndexOf('/');
                    int parent = slash <= 0 ? -1 : n.lastIndexOf('/', slash - 1);
                    out.set(i, e.get(i).withName(rnd.nextBoolean() && parent >= 0
                            ? n.substring(0, parent) + n.substring(slash) : n.substring(0, slash + 1) + "x/"
                            + n.substring(slash + 1)));
                }
                return out;
            }
        },
        /** An entry renamed: {@code ..}, absolute, backslashes, control characters (a directory: what a file may be called). */
        ENTRY_NAME(true, true) {
            @Override
            List<Entry> one(List<Entry> e, Random rnd, Form form) {
                int i = pick(e, rnd.nextBoolean() ? Entry::isClass : x -> x.link() == null, rnd);
                List<String> names = form == Form.DIRECTORY ? ENTRY_NAMES.stream().filter(n -> !n.contains("..")
                        && !n.startsWith("/") && !n.startsWith("./") && !n.startsWith("//") && !n.contains("\u0000"))
                        .toList() : ENTRY_NAMES;
                String n = e.get(i).text();
                String renamed;
                if (rnd.nextInt(3) == 0) {
                    renamed = n.replace('/', '\\'); // a Windows zip tool's names
                } else {
                    renamed = String.format(names.get(rnd.nextInt(names.size())), n);
                }
                List<Entry> out = new ArrayList<>(e);
                out.set(i, e.get(i).withName(renamed));
                return out;
            }
        },
        /** Bytes of an entry's name made broken UTF-8. */
        NAME_UTF8(false, true) {
            @Override
            List<Entry> one(List<Entry> e, Random rnd, Form form) {
                int i = pick(e, x -> true, rnd);
                byte[] name = e.get(i).name();
                byte[][] bad = {{(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                        {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0x80}};
                byte[] b = bad[rnd.nextInt(bad.length)];
                int at = rnd.nextInt(name.length + 1);
                byte[] out = new byte[name.length + b.length];
                System.arraycopy(name, 0, out, 0, at);
                System.arraycopy(b, 0, out, at, b.length);
                System.arraycopy(name, at, out, at + b.length, name.length - at);
                List<Entry> list = new ArrayList<>(e);
                list.set(i, new Entry(out, e.get(i).content(), null));
                return list;
            }
        },
        /** An entry twice: the same content, another class's, or damaged, before or after the first. */
        DUPLICATE_ENTRY(false, true) {
            @Override
            List<Entry> one(List<Entry> e, Random rnd, Form form) {
                int i = pick(e, rnd.nextInt(4) > 0 ? Entry::isClass : x -> true, rnd);
                byte[] content = switch (rnd.nextInt(3)) {
                    case 0 -> e.get(i).content();
                    case 1 -> e.get(pick(e, Entry::isClass, rnd)).content();
                    default -> Arrays.copyOf(e.get(i).content(), e.get(i).content().length / 2);
                };
                List<Entry> out = new ArrayList<>(e);
                out.add(rnd.nextInt(out.size() + 1), e.get(i).withContent(content));
                return out;
            }
        },
        /** A field of the zip's own headers (sizes, CRCs, offsets, name lengths, counts) made wrong. */
        ZIP_HEADER(false, true) {
            @Override
            byte[] damage(byte[] z, Random rnd) {
                List<int[]> fields = zipFields(z);
                int[] f = fields.get(rnd.nextInt(fields.size()));
                long[] values = {0, 1, 0xFFFF, 0x7FFFFFFFL, 0xFFFFFFFFL, rnd.nextInt(1 << 16), -1};
                long v = values[rnd.nextInt(values.length)];
                if (v == -1) { // off by a little
                    v = leRead(z, f[0], f[1]) + rnd.nextInt(9) - 4;
                }
                for (int k = 0; k < f[1]; k++) {
                    z[f[0] + k] = (byte) (v >>> (8 * k));
                }
                return z;
            }
        },
        /** The archive cut short, or with bytes of it gone from the middle. */
        ZIP_TRUNCATED(false, true) {
            @Override
            byte[] damage(byte[] z, Random rnd) {
                int at = rnd.nextInt(z.length);
                if (rnd.nextBoolean()) {
                    return Arrays.copyOf(z, at);
                }
                int cut = 1 + rnd.nextInt(Math.min(64, z.length - at));
                byte[] out = new byte[z.length - cut];
                System.arraycopy(z, 0, out, 0, at);
                System.arraycopy(z, at + cut, out, at, z.length - at - cut);
                return out;
            }
        },
        /** A class entry whose headers claim a huge uncompressed size (a zip bomb's claim). */
        HUGE_SIZE(false, true) {
            @Override
            byte[] damage(byte[] z, Random rnd) {
                long[] sizes = {0xFFFFFFFFL, 0x7FFFFFFFL, (64L << 20) + 1, 1L << 30};
                long size = sizes[rnd.nextInt(sizes.length)];
                boolean both = rnd.nextBoolean();
                List<Integer> classes = new ArrayList<>();
                for (int i = 0; i + 46 <= z.length; i++) {
                    if (leRead(z, i, 4) == 0x02014b50L && new String(z, i + 46, (int) leRead(z, i + 28, 2),
                            StandardCharsets.UTF_8).endsWith(".class")) {
                        classes.add(i);
                    }
                }
                int central = classes.get(rnd.nextInt(classes.size()));
                leWrite(z, central + 24, size);
                if (both) {
                    leWrite(z, (int) leRead(z, central + 42, 4) + 22, size);
                }
                return z;
            }
        },
        /** A manifest with control characters, broken lines or broken UTF-8 in its values. */
        MANIFEST_CONTROL(true, true) {
            @Override
            List<Entry> one(List<Entry> e, Random rnd, Form form) {
                String[] values = {"\u001b[2J\u001b[H", "17\u0007", "x\u0000y", "\u202eevil", "a\rInjected: 1",
                        "true\u0000", "line\n continued\u001b[31m"};
                String[] names = {"Created-By", "Build-Jdk", "Build-Jdk-Spec", "Multi-Release", "Implementation-Title"};
                StringBuilder text = new StringBuilder("Manifest-Version: 1.0\r\n");
                for (int n = 1 + rnd.nextInt(3); n > 0; n--) {
                    text.append(names[rnd.nextInt(names.length)]).append(": ").append(values[rnd.nextInt(values.length)])
                            .append("\r\n");
                }
                byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
                if (rnd.nextInt(4) == 0) {
                    bytes[rnd.nextInt(bytes.length)] = (byte) 0xFF;
                }
                List<Entry> out = new ArrayList<>(e);
                out.removeIf(x -> x.text().equals("META-INF/MANIFEST.MF"));
                out.add(0, new Entry("META-INF/MANIFEST.MF", bytes));
                return out;
            }
        },
        /** A directory symlink back up the tree: a loop for whatever follows links. */
        SYMLINK_LOOP(true, false) {
            @Override
            List<Entry> one(List<Entry> e, Random rnd, Form form) {
                String cls = e.get(pick(e, Entry::isClass, rnd)).text();
                String pkg = cls.substring(0, cls.lastIndexOf('/') + 1);
                String[] targets = {".", "..", "../..", "../../.."};
                List<Entry> out = new ArrayList<>(e);
                out.add(new Entry((pkg + "loop" + rnd.nextInt(3)).getBytes(StandardCharsets.UTF_8), null,
                        targets[rnd.nextInt(targets.length)]));
                return out;
            }
        },
        /** A symlink leading out of the build: to a class file, a directory of classes, a device, nowhere. */
        SYMLINK_OUT(true, false) {
            @Override
            List<Entry> one(List<Entry> e, Random rnd, Form form) {
                int i = pick(e, Entry::isClass, rnd);
                String cls = e.get(i).text();
                String[] targets = {outside.toString(), outside.getParent().toString(), dir.resolve("outside").toString(),
                        "/dev/zero", "/etc/passwd", dir.resolve("nowhere/X.class").toString(), "/"};
                String target = targets[rnd.nextInt(targets.length)];
                List<Entry> out = new ArrayList<>(e);
                if (rnd.nextBoolean()) {
                    out.set(i, new Entry(e.get(i).name(), null, target)); // the class itself is the link
                } else {
                    out.add(new Entry((cls.substring(0, cls.lastIndexOf('/') + 1) + "Linked" + (target.endsWith(".class")
                            ? ".class" : "")).getBytes(StandardCharsets.UTF_8), null, target));
                }
                return out;
            }
        },
        /** A class renamed (in every class file of both builds, or of one) to a legal but hostile name. */
        HOSTILE_CLASS_NAME(true, true) {
            @Override
            Pair apply(Base base, Random rnd) {
                List<String> names = new ArrayList<>();
                classNames(base.oldBuild(), names);
                names.removeIf(n -> n.startsWith(Archives.LAUNCHER));
                String from = names.get(rnd.nextInt(names.size()));
                String piece = NAME_PIECES.get(rnd.nextInt(NAME_PIECES.size()));
                if (base.form() == Form.DIRECTORY && piece.equals("\u0000")) {
                    piece = "\u0001"; // no file name holds a NUL
                }
                int slash = from.lastIndexOf('/');
                String to = from.substring(0, slash + 1) + (rnd.nextBoolean() ? piece + from.substring(slash + 1)
                        : from.substring(slash + 1) + piece);
                int sides = rnd.nextInt(4); // 0, 1: both; 2: old only; 3: new only
                return new Pair(sides == 3 ? base.oldBuild() : rename(base.oldBuild(), from, to),
                        sides == 2 ? base.newBuild() : rename(base.newBuild(), from, to));
            }
        },
        /** One of the other archive mutations, of the fat JAR's nested library JAR. */
        NESTED(false, false) {
            @Override
            boolean appliesTo(Form form) {
                return form == Form.BOOT;
            }

            @Override
            List<Entry> one(List<Entry> e, Random rnd, Form form) {
                int i = pick(e, Entry::isJar, rnd);
                List<Mutation> inner = Stream.of(values()).filter(m -> m != this && m != HOSTILE_CLASS_NAME
                        && m.appliesTo(Form.JAR)).toList();
                Mutation m = inner.get(rnd.nextInt(inner.size()));
                byte[] lib;
                try {
                    lib = m.damage(zip(m.one(unzip(e.get(i).content()), rnd, Form.JAR)), rnd);
                } catch (IOException x) {
                    throw new IllegalStateException(x);
                }
                return replace(e, i, lib);
            }
        };

        private final boolean directories;
        private final boolean archives;

        Mutation(boolean directories, boolean archives) {
            this.directories = directories;
            this.archives = archives;
        }

        boolean appliesTo(Form form) {
            return form == Form.DIRECTORY ? directories : archives;
        }

        /** The mutant pair: by default one build (the old or the new) mutated, the other as it was. */
        Pair apply(Base base, Random rnd) {
            boolean old = rnd.nextBoolean();
            List<Entry> build = old ? base.oldBuild() : base.newBuild();
            List<Entry> mutated = one(new ArrayList<>(build), rnd, base.form());
            if (base.form() != Form.DIRECTORY && overridesDamage()) {
                // the damage is to the archive's bytes: carried as the one entry of a pre-made zip
                mutated = List.of(new Entry(RAW, damage(zip(build), rnd), null));
            }
            return old ? new Pair(mutated, base.newBuild()) : new Pair(base.oldBuild(), mutated);
        }

        /** The entries mutated; the damage of the archive's bytes is {@link #damage}. */
        List<Entry> one(List<Entry> e, Random rnd, Form form) {
            return e;
        }

        /** The archive's bytes damaged; by default as they are. */
        byte[] damage(byte[] zip, Random rnd) {
            return zip;
        }

        private boolean overridesDamage() {
            return this == ZIP_HEADER || this == ZIP_TRUNCATED || this == HUGE_SIZE;
        }
    }

    /** The name of the one entry that stands for an archive's bytes, damaged as a whole. */
    private static final byte[] RAW = "\u0000raw".getBytes(StandardCharsets.UTF_8);

    private static int pick(List<Entry> e, Predicate<Entry> which, Random rnd) {
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < e.size(); i++) {
            if (which.test(e.get(i))) {
                candidates.add(i);
            }
        }
        return candidates.get(rnd.nextInt(candidates.size()));
    }

    private static List<Entry> replace(List<Entry> e, int i, byte[] content) {
        List<Entry> out = new ArrayList<>(e);
        out.set(i, e.get(i).withContent(content));
        return out;
    }

    /** The internal names of a build's classes, nested JARs' too. */
    private static void classNames(List<Entry> entries, List<String> out) {
        for (Entry e : entries) {
            if (e.isClass()) {
                String n = e.text();
                out.add(n.substring(n.startsWith("BOOT-INF/classes/") ? "BOOT-INF/classes/".length() : 0,
                        n.length() - ".class".length()));
            } else if (e.isJar()) {
                try {
                    classNames(unzip(e.content()), out);
                } catch (IOException x) {
                    throw new IllegalStateException(x);
                }
            }
        }
    }

    /**
     * Every class file of {@code entries} (nested JARs' too) with class {@code from} named {@code to}
     * wherever its constant pool names it (itself, a descriptor, a nested class), and its file moved
     * to the new name's path.
     */
    static List<Entry> rename(List<Entry> entries, String from, String to) {
        Pattern name = Pattern.compile(Pattern.quote(from) + "(?=[;$<.]|$)");
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.isClass()) {
                String n = e.text();
                String path = n.endsWith(from + ".class") ? n.substring(0, n.length() - (from + ".class").length()) + to
                        + ".class" : n.replace(from + "$", to + "$");
                out.add(new Entry(path, renamePool(e.content(), name, to)));
            } else if (e.isJar()) {
                try {
                    out.add(e.withContent(zip(rename(unzip(e.content()), from, to))));
                } catch (IOException x) {
                    throw new IllegalStateException(x);
                }
            } else {
                out.add(e);
            }
        }
        return out;
    }

    /** The class file with every CONSTANT_Utf8 rewritten: the pool's other entries and the rest of the file kept. */
    private static byte[] renamePool(byte[] c, Pattern name, String to) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(c));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(in.readInt());
            out.writeInt(in.readInt());
            int count = in.readUnsignedShort();
            out.writeShort(count);
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                out.writeByte(tag);
                int fixed = switch (tag) {
                    case 1 -> {
                        out.writeUTF(name.matcher(in.readUTF()).replaceAll(java.util.regex.Matcher.quoteReplacement(to)));
                        yield 0;
                    }
                    case 3, 4, 9, 10, 11, 12, 17, 18 -> 4;
                    case 5, 6 -> 8;
                    case 7, 8, 16, 19, 20 -> 2;
                    case 15 -> 3;
                    default -> throw new IllegalStateException("tag " + tag);
                };
                out.write(in.readNBytes(fixed));
                if (tag == 5 || tag == 6) {
                    i++;
                }
            }
            out.write(in.readAllBytes());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The little-endian fields of a zip's headers that a mutation makes wrong: {offset, width}. */
    static List<int[]> zipFields(byte[] z) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i + 4 <= z.length; i++) {
            long sig = leRead(z, i, 4);
            if (sig == 0x04034b50L && i + 30 <= z.length) {        // local: crc, sizes, name and extra lengths
                add(out, i, new int[][] {{6, 2}, {8, 2}, {14, 4}, {18, 4}, {22, 4}, {26, 2}, {28, 2}});
            } else if (sig == 0x02014b50L && i + 46 <= z.length) { // central: the same, comment, offset
                add(out, i, new int[][] {{8, 2}, {10, 2}, {16, 4}, {20, 4}, {24, 4}, {28, 2}, {30, 2}, {32, 2},
                        {42, 4}});
            } else if (sig == 0x06054b50L && i + 22 <= z.length) { // end: counts, size, offset, comment
                add(out, i, new int[][] {{4, 2}, {8, 2}, {10, 2}, {12, 4}, {16, 4}, {20, 2}});
            }
        }
        return out;
    }

    private static void add(List<int[]> out, int header, int[][] fields) {
        for (int[] f : fields) {
            out.add(new int[] {header + f[0], f[1]});
        }
    }

    private static long leRead(byte[] z, int at, int width) {
        long v = 0;
        for (int k = 0; k < width && at + k < z.length; k++) {
            v |= (long) (z[at + k] & 0xFF) << (8 * k);
        }
        return v;
    }

    private static void leWrite(byte[] z, int at, long v) {
        for (int k = 0; k < 4 && at + k < z.length; k++) {
            z[at + k] = (byte) (v >>> (8 * k));
        }
    }

}
