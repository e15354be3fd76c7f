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

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jlivepatch build --source} given damaged or odd source trees: a source that does not
 * compile, bytes that are no UTF-8, a byte-order mark, a file named with a control character, an
 * empty tree or file, a huge file, a {@code module-info.java}, a class in two files, a name javac
 * would quote in an error holding a control character, a loop or a dangling link in the tree, and
 * seeded random damage of the fixed source, against the old build as a class directory and as a
 * Spring Boot fat JAR (whose classes are extracted for javac). Each case writes a patch core's
 * {@link PatchJar} reader accepts, or is refused: report problems, or the builder's own error in its
 * words with control characters escaped (its lines javac's errors, one each), and the output file
 * is then absent or as it was. About 30 cases, a few seconds.
 */
class MutatedSourceBuildTest {

    private static final String PRICING = "com/acme/body/Pricing.java";
    private static final byte[] EARLIER = "an earlier patch".getBytes(StandardCharsets.UTF_8);
    /** The number of seeded random cases, and their first seed. */
    private static final int RANDOM_CASES = Integer.getInteger("jlivepatch.fuzz.sources", 10);
    private static final long SEED = 0x6a6c_5000_0000L;
    /** What random damage inserts: delimiters, escapes, control and format characters, a lone UTF-8 lead byte. */
    private static final List<byte[]> PIECES = List.of(bytes("\u001b[2J"), bytes("\u0000"), bytes("\""), bytes("}"),
            bytes("{"), bytes("/*"), bytes("\\u"), bytes("\\u001b"), bytes("\u202e"), new byte[] {(byte) 0xC3},
            bytes("\r"), bytes("\n"), new byte[] {(byte) 0xFF, (byte) 0xFE}, bytes("'"), bytes("@"), bytes("\u00a0"));

    @TempDir
    static Path dir;

    private static byte[] fixed;
    private static Path bootOld;

    /** One way to damage the source tree: it is given the tree, holding the fixed Pricing.java. */
    interface Damage {
        void apply(Path tree, Random rnd) throws IOException;
    }

    record Case(String name, boolean boot, Damage damage) {
    }

    @BeforeAll
    static void bases() throws IOException {
        fixed = Files.readAllBytes(Corpus.source("supported", "body", "new", PRICING));
        bootOld = Archives.bootJar(dir.resolve("old-boot.jar"), Corpus.build("supported", "body", "old"), Map.of(),
                "com.acme.body.Driver");
    }

    private static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        out.add(new Case("the fixed source as it is", false, (t, r) -> { }));
        out.add(new Case("the fixed source as it is, old build a fat JAR", true, (t, r) -> { }));
        out.add(new Case("a syntax error", false, (t, r) -> replace(t, "return quantity", "retrun quantity")));
        out.add(new Case("a type error", false, (t, r) -> replace(t, "quantity >= 100 ? 10 : 12", "\"ten\"")));
        out.add(new Case("bytes that are no UTF-8 in a comment", false,
                (t, r) -> insert(t, "public class", concat(bytes("// caf"), new byte[] {(byte) 0xE9}, bytes("\n")))));
        out.add(new Case("bytes that are no UTF-8 in a string", false,
                (t, r) -> insert(t, ": \" + quantity", new byte[] {(byte) 0xFF, (byte) 0xC0})));
        out.add(new Case("a byte-order mark", false, (t, r) -> write(t, PRICING, concat(new byte[] {(byte) 0xEF,
                (byte) 0xBB, (byte) 0xBF}, fixed))));
        out.add(new Case("CR line ends", false, (t, r) -> write(t, PRICING, new String(fixed, StandardCharsets.UTF_8)
                .replace("\n", "\r").getBytes(StandardCharsets.UTF_8))));
        out.add(new Case("a control character in a string and a comment", false,
                (t, r) -> replace(t, "negative quantity", "\u001b[31mnegative\u0007 quantity /* \u0000 */")));
        out.add(new Case("a file named with a control character, compiling", false, (t, r) -> write(t,
                "com/acme/body/\u001b[2J\r.java", bytes("package com.acme.body;\nclass Extra { int x() { return 1; } }\n"))));
        out.add(new Case("a file named with a control character, not compiling", false, (t, r) -> write(t,
                "com/acme/body/Bad\u001b]0;owned\u0007\n.java", bytes("package com.acme.body;\nclass Extra { int x() {"
                        + " return y; } }\n"))));
        out.add(new Case("a file named with a control character, old build a fat JAR", true, (t, r) -> write(t,
                "com/acme/body/\u0085\u202e.java", bytes("package com.acme.body;\nclass Extra {}\n"))));
        out.add(new Case("an identifier with a control character javac quotes", false,
                (t, r) -> replace(t, "return quantity * unitPrice", "return quantity * unit\u001bPrize")));
        out.add(new Case("a class named with an ignorable control character", false,
                (t, r) -> append(t, "\nclass Extra\u0001\u007f { }\n")));
        out.add(new Case("an empty tree", false, (t, r) -> Files.delete(t.resolve(PRICING))));
        out.add(new Case("an empty file", false, (t, r) -> write(t, PRICING, new byte[0])));
        out.add(new Case("a huge file (4 MiB of comment)", false, (t, r) -> {
            byte[] line = bytes("// padding padding padding padding padding padding padding padding padding padding\n");
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int i = 0; i < (4 << 20) / line.length; i++) {
                b.write(line);
            }
            b.write(fixed);
            write(t, PRICING, b.toByteArray());
        }));
        out.add(new Case("a module-info.java", false, (t, r) -> write(t, "module-info.java", bytes("module fix { }\n"))));
        out.add(new Case("a module-info.java, old build a fat JAR", true,
                (t, r) -> write(t, "module-info.java", bytes("module fix { }\n"))));
        out.add(new Case("a package-info.java", false, (t, r) -> write(t, "com/acme/body/package-info.java",
                bytes("/** docs */\npackage com.acme.body;\n"))));
        out.add(new Case("one class in two files", false, (t, r) -> write(t, "com/acme/body/Copy.java",
                bytes("package com.acme.body;\nclass Pricing { }\n"))));
        out.add(new Case("one class in two directories", false, (t, r) -> write(t, "elsewhere/" + PRICING, fixed)));
        out.add(new Case("another package than the old class's", false,
                (t, r) -> replace(t, "package com.acme.body;", "package com.acme.other;")));
        out.add(new Case("an enum in place of the class", false, (t, r) -> write(t, PRICING,
                bytes("package com.acme.body;\npublic enum Pricing { A; public int price(int q) { return q; } }\n"))));
        out.add(new Case("a loop in the tree", false,
                (t, r) -> Files.createSymbolicLink(t.resolve("com/acme/loop"), Path.of(".."))));
        out.add(new Case("a dangling link named .java", false,
                (t, r) -> Files.createSymbolicLink(t.resolve("com/acme/body/Gone.java"), t.resolve("nowhere.java"))));
        for (int i = 0; i < RANDOM_CASES; i++) {
            long seed = SEED + i;
            out.add(new Case("random damage, seed " + seed, i % 4 == 3, (t, r) -> randomDamage(t, new Random(seed))));
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> aDamagedSourceTreeGivesAPatchThatLoadsOrACleanRefusalAndNoFile() {
        List<DynamicTest> tests = new ArrayList<>();
        List<Case> cases = cases();
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            boolean existing = i % 2 == 1;
            tests.add(DynamicTest.dynamicTest(c.name(), () -> buildCase(c, existing)));
        }
        return tests.stream();
    }

    private static void buildCase(Case c, boolean existing) throws Exception {
        Path caseDir = Files.createTempDirectory(dir, "case");
        Path tree = Files.createDirectories(caseDir.resolve("src"));
        write(tree, PRICING, fixed);
        c.damage().apply(tree, null);
        Path outDir = Files.createDirectories(caseDir.resolve("out"));
        Path out = outDir.resolve("fix.jar");
        if (existing) {
            Files.write(out, EARLIER);
        }
        Path oldBuild = c.boot() ? bootOld : Corpus.build("supported", "body", "old");
        BuildReport report;
        try {
            report = PatchBuild.compile(oldBuild, List.of(tree)).name("fuzz").writeTo(out);
        } catch (IOException | IllegalArgumentException e) {
            assertCleanRefusal(c.name(), e);
            assertLeftAsItWas(c.name(), out, existing);
            return;
        } catch (Throwable t) {
            throw new AssertionError(c.name() + ": the build let " + t + " escape", t);
        }
        for (String line : report.lines()) {
            assertClean(c.name() + ": a report line", line);
        }
        if (report.refused()) {
            assertLeftAsItWas(c.name(), out, existing);
            return;
        }
        try {
            PatchJar.read(out);
        } catch (PatchException e) {
            throw new AssertionError(c.name() + ": the build wrote a patch core refuses: " + e.getMessage(), e);
        }
        try (Stream<Path> left = Files.list(outDir)) {
            assertEquals(List.of(out), left.toList(), c.name() + ": the patch and nothing else");
        }
    }

    /**
     * The builder's own error, in its words: its first line one clean line; javac's errors, where it
     * quotes them, each on a line of its own, indented, with control characters escaped too (the
     * command writes the message as one line: see Main.oneLine).
     */
    static void assertCleanRefusal(String what, Exception e) {
        String message = e.getMessage();
        assertTrue(message != null && !message.isBlank(), what + ": an error without a message");
        String[] lines = message.split("\n", -1);
        MutatedBuildInputTest.assertCleanRefusal(what, e.getClass() == IOException.class
                ? new IOException(lines[0]) : new IllegalArgumentException(lines[0]));
        for (int i = 1; i < lines.length; i++) {
            assertTrue(lines[i].startsWith("  "), what + ": a line of javac's errors not indented: " + Text.clean(lines[i]));
            assertClean(what + ": a line of javac's errors", lines[i]);
        }
    }

    private static void assertClean(String what, String line) {
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

    /** One to three pieces inserted at random places of the fixed source, or a random span cut out. */
    private static void randomDamage(Path tree, Random rnd) throws IOException {
        byte[] b = fixed;
        for (int n = 1 + rnd.nextInt(3); n > 0; n--) {
            int at = rnd.nextInt(b.length);
            if (rnd.nextInt(4) == 0) {
                int end = Math.min(b.length, at + 1 + rnd.nextInt(20));
                b = concat(java.util.Arrays.copyOfRange(b, 0, at), java.util.Arrays.copyOfRange(b, end, b.length));
            } else {
                b = concat(java.util.Arrays.copyOfRange(b, 0, at), PIECES.get(rnd.nextInt(PIECES.size())),
                        java.util.Arrays.copyOfRange(b, at, b.length));
            }
        }
        write(tree, PRICING, b);
    }

    private static void replace(Path tree, String from, String to) throws IOException {
        String s = new String(fixed, StandardCharsets.UTF_8);
        if (!s.contains(from)) {
            throw new IllegalStateException("the fixed source has no " + from);
        }
        write(tree, PRICING, s.replace(from, to).getBytes(StandardCharsets.UTF_8));
    }

    private static void insert(Path tree, String before, byte[] what) throws IOException {
        String s = new String(fixed, StandardCharsets.UTF_8);
        int at = s.indexOf(before);
        if (at < 0) {
            throw new IllegalStateException("the fixed source has no " + before);
        }
        int byteAt = s.substring(0, at).getBytes(StandardCharsets.UTF_8).length;
        write(tree, PRICING, concat(java.util.Arrays.copyOfRange(fixed, 0, byteAt), what,
                java.util.Arrays.copyOfRange(fixed, byteAt, fixed.length)));
    }

    private static void append(Path tree, String text) throws IOException {
        write(tree, PRICING, concat(fixed, bytes(text)));
    }

    private static void write(Path tree, String path, byte[] content) throws IOException {
        Path f = tree.resolve(path);
        Files.createDirectories(f.getParent());
        Files.write(f, content);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }
}
