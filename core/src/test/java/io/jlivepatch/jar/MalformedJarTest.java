package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.jar.PatchJar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.jlivepatch.jar.Jars.FIX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bytes that make a parser throw (zip, manifest, properties, ASM) are refusals with a reason that
 * name the JAR and the entry, never a bare exception; the command's own check of the JAR
 * ({@code PatchJar.read}) refuses them the same way.
 */
class MalformedJarTest {

    private static final String FIX_FILE = FIX.replace('.', '/') + ".class";

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void aTruncatedPatchClassIsRefusedNamingIt() throws Exception {
        Map<String, byte[]> entries = Jars.classes(FIX);
        entries.put(FIX_FILE, Arrays.copyOf(entries.get(FIX_FILE), entries.get(FIX_FILE).length / 2));
        Path jar = Jars.write(dir.resolve("truncated.jar"), Jars.manifest("truncated", FIX), entries);
        Jars.refused(jar, Reason.INVALID_PATCH, "class file '" + FIX_FILE + "' cannot be parsed",
                "build the patch again");
    }

    @Test
    void aHelperClassOfGarbageIsRefusedNamingIt() throws Exception {
        Map<String, byte[]> entries = Jars.classes(FIX);
        byte[] junk = "\u00ca\u00fe\u00ba\u00be not a class at all, only text".getBytes(StandardCharsets.ISO_8859_1);
        entries.put("jarapp/fix/Junk.class", junk);
        Path jar = Jars.write(dir.resolve("junk.jar"), Jars.manifest("junk", FIX), entries);
        Jars.refused(jar, Reason.INVALID_PATCH, "class file 'jarapp/fix/Junk.class' cannot be parsed");
    }

    @Test
    void aClassFileAtAnotherClasssPathIsRefused() throws Exception {
        Map<String, byte[]> entries = Jars.classes(FIX);
        entries.put("jarapp/fix/Elsewhere.class", entries.get(FIX_FILE));
        Path jar = Jars.write(dir.resolve("misplaced.jar"), Jars.manifest("misplaced", FIX), entries);
        Jars.refused(jar, Reason.INVALID_PATCH, "entry 'jarapp/fix/Elsewhere.class' holds class '"
                + FIX.replace('.', '/') + "'");
    }

    /**
     * A class file's name is whatever Utf8 its this_class points at, line breaks and NULs included
     * (MutatedJarTest, seed 117012089213232: an index moved to another Utf8 of the pool). The refusal
     * quoted it raw, a message of two lines; now escaped.
     */
    @Test
    void aClassFileWhoseNameHoldsALineBreakIsRefusedInOneLine() throws Exception {
        Map<String, byte[]> entries = Jars.classes(FIX);
        entries.put(FIX_FILE, Jars.patchClass("jarapp.fix.Counter\nFix\u0000", Jars::returnsMinusOne));
        Path jar = Jars.write(dir.resolve("linebreak.jar"), Jars.manifest("linebreak", FIX), entries);
        Jars.refused(jar, Reason.INVALID_PATCH, "entry '" + FIX_FILE + "' holds class 'jarapp/fix/Counter\\nFix\\u0000'",
                "a class file must sit at the path of its name");
    }

    @Test
    void aMalformedUnicodeEscapeInTheRecordedDigestsIsRefused() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>(Jars.classes(FIX));
        entries.put(PatchJar.OLD_CLASSES, "jarapp.Counter=\\uZZZZ\n".getBytes(StandardCharsets.ISO_8859_1));
        Path jar = Jars.write(dir.resolve("digests.jar"), Jars.manifest("digests", FIX), entries);
        Jars.refused(jar, Reason.INVALID_PATCH, PatchJar.OLD_CLASSES + " cannot be read", "malformed");
        assertReadRefuses(jar, PatchJar.OLD_CLASSES);
    }

    @Test
    void aMalformedUnicodeEscapeInTheRecordedClassFileHashesIsRefused() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>(Jars.classes(FIX));
        entries.put(PatchJar.OLD_CLASS_FILES, "jarapp.Counter=\\uZZZZ\n".getBytes(StandardCharsets.ISO_8859_1));
        Path jar = Jars.write(dir.resolve("filedigests.jar"), Jars.manifest("filedigests", FIX), entries);
        Jars.refused(jar, Reason.INVALID_PATCH, PatchJar.OLD_CLASS_FILES + " cannot be read", "malformed");
        assertReadRefuses(jar, PatchJar.OLD_CLASS_FILES);
    }

    @Test
    void aManifestWhoseLastLineHasNoLineBreakOrThatNamesAnAttributeTwiceIsRefused() throws Exception {
        String base = "Manifest-Version: 1.0\r\nLivepatch-Name: x\r\nLivepatch-Class: " + FIX + "\r\n";
        Jars.RawZip noEnd = new Jars.RawZip().add("META-INF/MANIFEST.MF",
                (base + "Livepatch-Replace: true").getBytes(StandardCharsets.UTF_8));
        Jars.classes(FIX).forEach(noEnd::add);
        Jars.refused(noEnd.write(dir.resolve("noeol.jar")), Reason.INVALID_PATCH,
                "does not end with a line break, so its last line, 'Livepatch-Replace: true', would be dropped");
        Jars.RawZip twice = new Jars.RawZip().add("META-INF/MANIFEST.MF",
                (base + "livepatch-name: evil\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        Jars.classes(FIX).forEach(twice::add);
        Jars.refused(twice.write(dir.resolve("twice.jar")), Reason.INVALID_PATCH,
                "gives 'livepatch-name' twice in its main section");
    }

    @Test
    void aJarWhoseCentralDirectoryDisagreesWithItsEntriesIsRefused() throws Exception {
        Path good = Jars.write(dir.resolve("good.jar"), Jars.manifest("cen", FIX), Jars.classes(FIX));
        // the central directory's CRC-32 of the class: what ZIP tools list is then not what is read
        Jars.refused(centralHeaderChanged(good, "cen.jar", 16), Reason.INVALID_PATCH, "entry '" + FIX_FILE + "'"
                + " differs from what its central directory lists, so ZIP tools show other contents than jlivepatch"
                + " would load");
        // its method (deflated: ZIP tools would show the deflated bytes as they are) and its compressed size
        for (int field : new int[] {10, 20}) {
            Jars.refused(centralHeaderChanged(good, "cen-" + field + ".jar", field), Reason.INVALID_PATCH, "entry '"
                    + FIX_FILE + "' differs from what its central directory lists");
        }
        // its name's last byte: the class read is not listed, and what is listed is not read
        Jars.refused(centralHeaderChanged(good, "cen-name.jar", 46 + FIX_FILE.length() - 1), Reason.INVALID_PATCH,
                "entry '" + FIX_FILE + "' is not listed in its central directory");
    }

    /** {@code jar} with a byte of the class's central header, {@code at} bytes into it, changed. */
    private Path centralHeaderChanged(Path jar, String name, int at) throws Exception {
        byte[] bytes = Files.readAllBytes(jar);
        byte[] file = FIX_FILE.getBytes(StandardCharsets.UTF_8);
        int header = -1;
        for (int i = bytes.length - 46; i >= 0 && header < 0; i--) {
            if (bytes[i] == 0x50 && bytes[i + 1] == 0x4b && bytes[i + 2] == 1 && bytes[i + 3] == 2
                    && java.util.Arrays.equals(bytes, i + 46, i + 46 + file.length, file, 0, file.length)) {
                header = i;
            }
        }
        assertTrue(header > 0, "the class's central header");
        bytes[header + at] ^= 0x08; // method 8 (deflated) to 0 (stored); a name's letter to another
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void aJarWhoseCentralDirectoryPointsAtAnotherCopyOfAnEntryIsRefused() throws Exception {
        // The class read one entry after the other (what would load) carries, in its local header's
        // extra field, a whole second entry of the same name; the central directory points at that
        // one, with the first one's CRC-32: the names and CRCs agree, the bytes a ZIP tool shows do not.
        byte[] loaded = Jars.classes(FIX).get(FIX_FILE);
        byte[] shown = Arrays.copyOf(loaded, loaded.length + 1); // any other bytes
        byte[] manifest = Jars.manifestBytes(Jars.manifest("hidden-copy", FIX));
        java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
        zip.writeBytes(storedLocal("META-INF/MANIFEST.MF", manifest, new byte[0]));
        int classAt = zip.size();
        byte[] hidden = storedLocal(FIX_FILE, shown, new byte[0]);
        java.nio.ByteBuffer extra = java.nio.ByteBuffer.allocate(4 + hidden.length).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 0x7777).putShort((short) hidden.length).put(hidden);
        zip.writeBytes(storedLocal(FIX_FILE, loaded, extra.array()));
        int hiddenAt = classAt + 30 + FIX_FILE.length() + 4;
        int directoryAt = zip.size();
        zip.writeBytes(storedCentral("META-INF/MANIFEST.MF", crc(manifest), manifest.length, 0));
        zip.writeBytes(storedCentral(FIX_FILE, crc(loaded), shown.length, hiddenAt));
        int directorySize = zip.size() - directoryAt;
        zip.writeBytes(java.nio.ByteBuffer.allocate(22).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x06054b50)
                .putShort((short) 0).putShort((short) 0).putShort((short) 2).putShort((short) 2).putInt(directorySize)
                .putInt(directoryAt).putShort((short) 0).array());
        Path jar = Files.write(dir.resolve("hidden-copy.jar"), zip.toByteArray());
        try (java.util.jar.JarFile tools = new java.util.jar.JarFile(jar.toFile(), false)) {
            assertTrue(Arrays.equals(shown, tools.getInputStream(tools.getEntry(FIX_FILE)).readAllBytes()),
                    "what the JDK's ZipFile, like javap, an IDE or a class loader, shows is the hidden copy");
        }
        Jars.refused(jar, Reason.INVALID_PATCH, "entry '" + FIX_FILE + "' differs from what its central directory"
                + " lists, so ZIP tools show other contents than jlivepatch would load");
    }

    /**
     * A second central directory, with its own end record, in the comment of the JAR's end record:
     * jlivepatch takes the last end record whose comment ends the file (the real one), the JDK's
     * ZipFile, as javap, IDEs and class loaders use it, the last one it finds from the end, which need
     * not end the file: the inner one, whose directory points at another copy of the class, hidden in
     * the comment too. A reviewer would see one class and another would load.
     */
    @Test
    void aSecondCentralDirectoryInTheCommentIsRefused() throws Exception {
        byte[] loaded = Jars.classes(FIX).get(FIX_FILE);
        byte[] shown = Arrays.copyOf(loaded, loaded.length + 1); // any other bytes
        byte[] manifest = Jars.manifestBytes(Jars.manifest("second-directory", FIX));
        java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
        zip.writeBytes(storedLocal("META-INF/MANIFEST.MF", manifest, new byte[0]));
        int classAt = zip.size();
        zip.writeBytes(storedLocal(FIX_FILE, loaded, new byte[0]));
        int directoryAt = zip.size();
        zip.writeBytes(storedCentral("META-INF/MANIFEST.MF", crc(manifest), manifest.length, 0));
        zip.writeBytes(storedCentral(FIX_FILE, crc(loaded), loaded.length, classAt));
        int directorySize = zip.size() - directoryAt;
        // the comment: the hidden copy, a directory pointing at it, its end record, one more byte (so
        // that this end record's empty comment does not end the file, as the real one's does)
        java.io.ByteArrayOutputStream comment = new java.io.ByteArrayOutputStream();
        int commentAt = zip.size() + 22;
        int hiddenAt = commentAt;
        comment.writeBytes(storedLocal(FIX_FILE, shown, new byte[0]));
        int innerAt = commentAt + comment.size();
        comment.writeBytes(storedCentral("META-INF/MANIFEST.MF", crc(manifest), manifest.length, 0));
        comment.writeBytes(storedCentral(FIX_FILE, crc(shown), shown.length, hiddenAt));
        int innerSize = commentAt + comment.size() - innerAt;
        comment.writeBytes(end(2, innerSize, innerAt, 0));
        comment.write(0);
        zip.writeBytes(end(2, directorySize, directoryAt, comment.size()));
        zip.writeBytes(comment.toByteArray());
        Path jar = Files.write(dir.resolve("second-directory.jar"), zip.toByteArray());
        try (java.util.jar.JarFile tools = new java.util.jar.JarFile(jar.toFile(), false)) {
            assertTrue(Arrays.equals(shown, tools.getInputStream(tools.getEntry(FIX_FILE)).readAllBytes()),
                    "what the JDK's ZipFile shows is the hidden copy");
        }
        // It loaded, the copy that was not shown.
        Jars.refused(jar, Reason.INVALID_PATCH, "the comment at its end holds a second end of central directory"
                + " record, which the JDK's ZipFile (jar, javap, jarsigner -verify, IDEs, class loaders) takes for the"
                + " JAR's own when it comes last, so ZIP tools may show other contents than jlivepatch would load:"
                + " build the JAR again with 'jar' or Maven");
    }

    /**
     * Bytes between the central directory and the end record: the JDK's ZipFile finds the directory
     * where the end record's size puts it, right before it, and the files from where that makes
     * the directory's offset start; jlivepatch at the offset the record gives. There, a second
     * directory of the same size, pointing at other copies of the files, is what ZIP tools list.
     */
    @Test
    void bytesBetweenTheCentralDirectoryAndItsEndRecordAreRefused() throws Exception {
        byte[] loaded = Jars.classes(FIX).get(FIX_FILE);
        byte[] shown = Arrays.copyOf(loaded, loaded.length); // other bytes of the same length
        shown[shown.length - 1] ^= 1;
        byte[] manifest = Jars.manifestBytes(Jars.manifest("gap", FIX));
        java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
        zip.writeBytes(storedLocal("META-INF/MANIFEST.MF", manifest, new byte[0]));
        int classAt = zip.size();
        zip.writeBytes(storedLocal(FIX_FILE, loaded, new byte[0]));
        int directoryAt = zip.size();
        zip.writeBytes(storedCentral("META-INF/MANIFEST.MF", crc(manifest), manifest.length, 0));
        zip.writeBytes(storedCentral(FIX_FILE, crc(loaded), loaded.length, classAt));
        int directorySize = zip.size() - directoryAt;
        // the hidden copies, laid out as the real files are, then a directory of the same size for them
        zip.writeBytes(storedLocal("META-INF/MANIFEST.MF", manifest, new byte[0]));
        zip.writeBytes(storedLocal(FIX_FILE, shown, new byte[0]));
        zip.writeBytes(storedCentral("META-INF/MANIFEST.MF", crc(manifest), manifest.length, 0));
        zip.writeBytes(storedCentral(FIX_FILE, crc(shown), shown.length, classAt));
        zip.writeBytes(end(2, directorySize, directoryAt, 0));
        Path jar = Files.write(dir.resolve("gap.jar"), zip.toByteArray());
        try (java.util.jar.JarFile tools = new java.util.jar.JarFile(jar.toFile(), false)) {
            assertTrue(Arrays.equals(shown, tools.getInputStream(tools.getEntry(FIX_FILE)).readAllBytes()),
                    "what the JDK's ZipFile shows is the hidden copy");
        }
        // It loaded, the copy that was not shown.
        Jars.refused(jar, Reason.INVALID_PATCH, (zip.size() - 22 - directoryAt - directorySize) + " bytes lie between"
                + " its central directory and its end record, where the JDK's ZipFile (jar, javap, jarsigner -verify,"
                + " IDEs, class loaders) takes the directory to end, so ZIP tools may show other contents than"
                + " jlivepatch would load: build the JAR again with 'jar' or Maven");
    }

    /**
     * A ZIP64 end locator right before the end record, in the last directory entry's comment: the
     * JDK's ZipFile then reads the ZIP64 end record it points at, and takes the directory to end
     * there, where a second directory of the same size (in the end record's comment) points at other
     * copies of the files (in the local headers' extra fields). jlivepatch reads no ZIP64 record.
     */
    @Test
    void aZip64EndLocatorBeforeTheEndRecordIsRefused() throws Exception {
        byte[] loaded = Jars.classes(FIX).get(FIX_FILE);
        byte[] shown = Arrays.copyOf(loaded, loaded.length + 1); // any other bytes
        byte[] manifest = Jars.manifestBytes(Jars.manifest("zip64-locator", FIX));
        String mf = "META-INF/MANIFEST.MF";
        byte[] locatorComment = new byte[20]; // written below, once the offsets are known
        int directorySize = 46 + mf.length() + 46 + FIX_FILE.length() + locatorComment.length;
        int hiddenBase = directorySize + 22; // where ZipFile will take the files to begin
        byte[] hiddenManifest = storedLocal(mf, manifest, new byte[0]);
        byte[] manifestExtra = extra(hiddenBase - (30 + mf.length()), hiddenManifest);
        byte[] realManifest = storedLocal(mf, manifest, manifestExtra);
        int classAt = realManifest.length;
        byte[] classExtra = extra(hiddenBase - (30 + FIX_FILE.length()), storedLocal(FIX_FILE, shown, new byte[0]));
        java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
        zip.writeBytes(realManifest);
        zip.writeBytes(storedLocal(FIX_FILE, loaded, classExtra));
        int directoryAt = zip.size();
        int endAt = directoryAt + directorySize;
        int secondAt = endAt + 22;
        java.nio.ByteBuffer.wrap(locatorComment).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x07064b50).putInt(0)
                .putLong(secondAt + directorySize).putInt(1);
        zip.writeBytes(storedCentral(mf, crc(manifest), manifest.length, 0));
        zip.writeBytes(withComment(storedCentral(FIX_FILE, crc(loaded), loaded.length, classAt), locatorComment));
        java.io.ByteArrayOutputStream comment = new java.io.ByteArrayOutputStream();
        comment.writeBytes(storedCentral(mf, crc(manifest), manifest.length, 0));
        comment.writeBytes(withComment(storedCentral(FIX_FILE, crc(shown), shown.length, classAt), locatorComment));
        comment.writeBytes(java.nio.ByteBuffer.allocate(56).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x06064b50)
                .putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0).putLong(2).putLong(2)
                .putLong(directorySize).putLong(directoryAt).array());
        zip.writeBytes(end(2, directorySize, directoryAt, comment.size()));
        zip.writeBytes(comment.toByteArray());
        Path jar = Files.write(dir.resolve("zip64-locator.jar"), zip.toByteArray());
        try (java.util.jar.JarFile tools = new java.util.jar.JarFile(jar.toFile(), false)) {
            assertTrue(Arrays.equals(shown, tools.getInputStream(tools.getEntry(FIX_FILE)).readAllBytes()),
                    "what the JDK's ZipFile shows is the hidden copy");
        }
        // It loaded, the copy that was not shown.
        Jars.refused(jar, Reason.INVALID_PATCH, "a ZIP64 end locator lies right before its end record, so the JDK's"
                + " ZipFile (jar, javap, jarsigner -verify, IDEs, class loaders) reads the directory the ZIP64 record"
                + " it points at gives, which jlivepatch does not read: ZIP tools may show other contents than"
                + " jlivepatch would load; a patch JAR needs no ZIP64: build it again with 'jar' or Maven");
    }

    /** An extra field whose data holds {@code content} {@code at} bytes from the field's start. */
    private static byte[] extra(int at, byte[] content) {
        return java.nio.ByteBuffer.allocate(at + content.length).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 0x7777).putShort((short) (at + content.length - 4)).position(at).put(content).array();
    }

    /** A central header of {@link #storedCentral} with a file comment. */
    private static byte[] withComment(byte[] central, byte[] comment) {
        byte[] out = Arrays.copyOf(central, central.length + comment.length);
        System.arraycopy(comment, 0, out, central.length, comment.length);
        out[32] = (byte) comment.length;
        out[33] = (byte) (comment.length >> 8);
        return out;
    }

    /**
     * A directory larger than the entries its end record counts: the JDK's ZipFile reads every
     * header the directory's size holds, and of two of one name finds the last; jlivepatch read as
     * many as the count said. A header after them points at another copy of the class, hidden in
     * the class's local header's extra field.
     */
    @Test
    void aCentralDirectoryHoldingMoreHeadersThanItsEndRecordCountsIsRefused() throws Exception {
        byte[] loaded = Jars.classes(FIX).get(FIX_FILE);
        byte[] shown = Arrays.copyOf(loaded, loaded.length + 1); // any other bytes
        byte[] manifest = Jars.manifestBytes(Jars.manifest("uncounted", FIX));
        java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
        zip.writeBytes(storedLocal("META-INF/MANIFEST.MF", manifest, new byte[0]));
        int classAt = zip.size();
        byte[] hidden = storedLocal(FIX_FILE, shown, new byte[0]);
        zip.writeBytes(storedLocal(FIX_FILE, loaded, extra(4, hidden)));
        int hiddenAt = classAt + 30 + FIX_FILE.length() + 4;
        int directoryAt = zip.size();
        zip.writeBytes(storedCentral("META-INF/MANIFEST.MF", crc(manifest), manifest.length, 0));
        zip.writeBytes(storedCentral(FIX_FILE, crc(loaded), loaded.length, classAt));
        zip.writeBytes(storedCentral(FIX_FILE, crc(shown), shown.length, hiddenAt)); // not counted
        zip.writeBytes(end(2, zip.size() - directoryAt, directoryAt, 0));
        Path jar = Files.write(dir.resolve("uncounted.jar"), zip.toByteArray());
        try (java.util.jar.JarFile tools = new java.util.jar.JarFile(jar.toFile(), false)) {
            assertTrue(Arrays.equals(shown, tools.getInputStream(tools.getEntry(FIX_FILE)).readAllBytes()),
                    "what the JDK's ZipFile shows is the hidden copy");
        }
        // It loaded, the copy that was not shown.
        Jars.refused(jar, Reason.INVALID_PATCH, "its central directory holds other headers than the entries its end"
                + " record counts, and the JDK's ZipFile (jar, javap, jarsigner -verify, IDEs, class loaders) reads them"
                + " all, so ZIP tools may show other contents than jlivepatch would load: build the JAR again with"
                + " 'jar' or Maven");
    }

    /** An end of central directory record: {@code count} files, the directory's size and offset. */
    private static byte[] end(int count, int size, int offset, int commentLength) {
        return java.nio.ByteBuffer.allocate(22).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x06054b50)
                .putShort((short) 0).putShort((short) 0).putShort((short) count).putShort((short) count).putInt(size)
                .putInt(offset).putShort((short) commentLength).array();
    }

    private static long crc(byte[] content) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(content);
        return crc.getValue();
    }

    /** A stored (not deflated) entry's local header and data. */
    private static byte[] storedLocal(String name, byte[] content, byte[] extra) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return java.nio.ByteBuffer.allocate(30 + n.length + extra.length + content.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x04034b50).putShort((short) 10).putShort((short) 0)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0x21).putInt((int) crc(content))
                .putInt(content.length).putInt(content.length).putShort((short) n.length).putShort((short) extra.length)
                .put(n).put(extra).put(content).array();
    }

    /** A stored entry's central directory header. */
    private static byte[] storedCentral(String name, long crc, int size, int localAt) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return java.nio.ByteBuffer.allocate(46 + n.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x02014b50)
                .putShort((short) 20).putShort((short) 10).putShort((short) 0).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0x21).putInt((int) crc).putInt(size).putInt(size).putShort((short) n.length)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0)
                .putInt(localAt).put(n).array();
    }

    @Test
    void aManifestWithAnIllegalAttributeNameIsRefused() throws Exception {
        String manifest = "Manifest-Version: 1.0\r\nLivepatch-Name: x\r\nLivepatch-Class: " + FIX
                + "\r\nBad@Name: y\r\n\r\n";
        Jars.RawZip zip = new Jars.RawZip().add("META-INF/MANIFEST.MF", manifest.getBytes(StandardCharsets.UTF_8));
        Jars.classes(FIX).forEach(zip::add);
        Path jar = zip.write(dir.resolve("badmanifest.jar"));
        Jars.refused(jar, Reason.INVALID_PATCH, "META-INF/MANIFEST.MF cannot be parsed", "Bad@Name");
        assertReadRefuses(jar, "MANIFEST.MF cannot be parsed");
    }

    @Test
    void corruptCompressedDataIsRefused() throws Exception {
        Jars.RawZip zip = new Jars.RawZip().add("META-INF/MANIFEST.MF",
                Jars.manifestBytes(Jars.manifest("corrupt", FIX)));
        byte[] garbage = new byte[64];
        Arrays.fill(garbage, (byte) 0xff);   // block type 3: not a deflate block type
        zip.addDeflated(FIX_FILE.getBytes(StandardCharsets.UTF_8), garbage, 1000, 0);
        Path jar = zip.write(dir.resolve("corrupt.jar"));
        Jars.refused(jar, Reason.INVALID_PATCH, "not a readable JAR file (corrupt zip data");
        assertReadRefuses(jar, "not a readable JAR file");
    }

    @Test
    void anEntryNameThatIsNotUtf8IsRefused() throws Exception {
        Jars.RawZip zip = new Jars.RawZip().add("META-INF/MANIFEST.MF",
                Jars.manifestBytes(Jars.manifest("badname", FIX)));
        Jars.classes(FIX).forEach(zip::add);
        byte[] content = {1, 2, 3};
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(content);
        zip.addDeflated(new byte[] {'a', (byte) 0xff, (byte) 0xfe, 'b'}, Jars.deflate(content), content.length,
                crc.getValue());
        Path jar = zip.write(dir.resolve("badentryname.jar"));
        // JDK 17 throws IllegalArgumentException for it, JDK 25 a ZipException ("bad entry name")
        String message = Jars.refused(jar, Reason.INVALID_PATCH, "not a readable JAR file (");
        assertTrue(message.contains("a malformed value: malformed input") || message.contains("bad entry name"),
                message);
    }

    @Test
    void anEntryThatAppearsTwiceIsRefused() throws Exception {
        Jars.RawZip zip = new Jars.RawZip().add("META-INF/MANIFEST.MF",
                Jars.manifestBytes(Jars.manifest("twice", FIX)));
        Jars.classes(FIX).forEach(zip::add);
        Jars.classes(FIX).forEach(zip::add);
        Path jar = zip.write(dir.resolve("twice.jar"));
        Jars.refused(jar, Reason.INVALID_PATCH, "entry '" + FIX_FILE + "' appears twice");
    }

    /** Which of two manifests a tool reads differs: neither is taken. */
    @Test
    void aJarOfTwoManifestsIsRefused() throws Exception {
        Jars.RawZip zip = new Jars.RawZip().add("META-INF/MANIFEST.MF", Jars.manifestBytes(Jars.manifest("two", FIX)))
                .add("meta-inf/manifest.mf", Jars.manifestBytes(Jars.manifest("other", FIX)));
        Jars.classes(FIX).forEach(zip::add);
        Path jar = zip.write(dir.resolve("two-manifests.jar"));
        Jars.refused(jar, Reason.INVALID_PATCH, "it holds two manifests (META-INF/MANIFEST.MF): build it again with"
                + " 'jar' or Maven");
    }

    /** A copy cut short (an interrupted transfer): its entries stream whole, its central directory is gone. */
    @Test
    void aJarWithoutItsCentralDirectoryIsRefused() throws Exception {
        Path whole = Jars.write(dir.resolve("whole.jar"), Jars.manifest("cut", FIX), Jars.classes(FIX));
        byte[] bytes = Files.readAllBytes(whole);
        Path jar = Files.write(dir.resolve("cut.jar"), Arrays.copyOf(bytes, bytes.length - 10));
        Jars.refused(jar, Reason.INVALID_PATCH, "its central directory cannot be read (missing, truncated or ZIP64):"
                + " build the JAR again with 'jar' or Maven");
    }

    @Test
    void aLongClassNameInTheManifestIsQuotedShort() throws Exception {
        Path jar = Jars.write(dir.resolve("longclass.jar"), Jars.manifest("longclass", "x".repeat(5000)),
                Jars.classes(FIX));
        String message = Jars.refused(jar, Reason.INVALID_PATCH, "Livepatch-Class names 'xxx", "(5000 characters)");
        assertTrue(message.length() < 1000, message);
    }

    private static void assertReadRefuses(Path jar, String fragment) {
        PatchException e = assertThrows(PatchException.class, () -> PatchJar.read(jar));
        assertEquals(Reason.INVALID_PATCH, e.reason());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}
