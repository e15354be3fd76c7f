package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads every entry of a JAR file into memory with each {@link JarLimits} limit enforced as the
 * bytes arrive: sizes the JAR declares are never trusted (a zip bomb declares a small entry and
 * inflates to hundreds of megabytes), and no buffer grows past the limit it is read under.
 *
 * <p>A {@link ZipInputStream}, not a {@code JarInputStream}: the latter reads the manifest whole,
 * unbounded, before the first entry is returned. Signatures are checked apart, on the same bytes,
 * by the trust policy ({@code internal.trust}), once these limits have passed.
 */
final class BoundedJarReader {

    private static final String MANIFEST = "META-INF/MANIFEST.MF";

    /**
     * What a JAR holds.
     *
     * @param manifest the manifest's bytes, {@code null} when it has none
     * @param entries  every other file entry, by name, in the JAR's order
     * @param count    entries seen, directories and the manifest included
     */
    record Contents(byte[] manifest, Map<String, byte[]> entries, int count) {
    }

    private final String source;
    private final JarLimits limits;
    private long total;

    private BoundedJarReader(String source, JarLimits limits) {
        this.source = source;
        this.limits = limits;
    }

    /** Reads the entries of a JAR already in memory (its size checked by {@link PatchJarBytes}). */
    static Contents read(PatchJarBytes jar, JarLimits limits) throws PatchException, IOException {
        return new BoundedJarReader(jar.source(), limits).readAll(jar.bytes());
    }

    private Contents readAll(byte[] jar) throws PatchException, IOException {
        byte[] manifest = null;
        Map<String, byte[]> entries = new LinkedHashMap<>();
        Map<String, byte[]> files = new LinkedHashMap<>(); // every file read, the manifest included
        int count = 0;
        // Capped all the same: the bytes were counted when they were read, but the cap costs nothing.
        try (CappedStream file = new CappedStream(new ByteArrayInputStream(jar), limits.maxJarBytes());
             ZipInputStream zip = new ZipInputStream(file)) {
            ZipEntry e;
            while ((e = nextEntry(zip, file)) != null) {
                count++;
                if (count > limits.maxEntries()) {
                    throw limits.exceeded(source, JarLimits.MAX_ENTRIES, "it has more than " + limits.maxEntries()
                            + " entries (reading stopped there)");
                }
                if (e.isDirectory()) {
                    continue;
                }
                byte[] bytes = readEntry(zip, file, e.getName());
                if (e.getName().equalsIgnoreCase(MANIFEST)) {
                    if (manifest != null) {
                        throw PatchJar.invalid(source, "it holds two manifests (" + MANIFEST + "): build it again"
                                + " with 'jar' or Maven");
                    }
                    manifest = bytes;
                } else if (entries.put(e.getName(), bytes) != null) {
                    // a zip may repeat a name; which copy a tool shows differs, so none is chosen
                    throw PatchJar.invalid(source, "entry " + PatchJar.quote(e.getName()) + " appears twice: build"
                            + " the JAR again with 'jar' or Maven");
                }
                files.put(e.getName(), bytes);
            }
        }
        int before = count > 0 ? 0 : firstLocalHeader(jar);
        if (count > 0) {
            matchCentralDirectory(jar, files);
        } else if (before > 0) {
            // ZIP tools and java -jar find the entries from the end and skip what is before them;
            // read from the first byte, they are not there, and "not a JAR" would be wrong
            throw PatchJar.invalid(source, "its first " + before + " bytes are not a zip entry (data"
                    + " put before its entries: a launcher script, a self-extracting stub), which ZIP tools skip and"
                    + " jlivepatch does not: build the JAR again with 'jar' or Maven, with nothing before it");
        } // else no entry at all: PatchJar says it is not a JAR
        return new Contents(manifest, entries, count);
    }

    /** Where the first local file header's signature is in {@code jar}, or -1. */
    private static int firstLocalHeader(byte[] jar) {
        for (int i = 0; i + 4 <= jar.length; i++) {
            if (jar[i] == 'P' && jar[i + 1] == 'K' && jar[i + 2] == 3 && jar[i + 3] == 4) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Refuses a JAR whose central directory, which {@code jar}, {@code unzip}, {@code javap}, IDEs and
     * class loaders read, lists other files or other contents than its entries, which are read here
     * one after the other: a reviewer would see one class and another would run. Each file the
     * directory lists must have been read, and nothing else; and the data the directory points at
     * (its local header's offset, its method and size) must be those very bytes: a CRC-32 alone can
     * be copied onto another copy of a file hidden in the JAR.
     */
    private void matchCentralDirectory(byte[] jar, Map<String, byte[]> files) throws PatchException {
        Map<String, long[]> listed = centralDirectory(jar);
        if (listed == null) {
            throw PatchJar.invalid(source, "its central directory cannot be read (missing, truncated or ZIP64):"
                    + " build the JAR again with 'jar' or Maven");
        }
        if (listed == UNCOUNTED) {
            throw PatchJar.invalid(source, "its central directory holds other headers than the entries its end record"
                    + " counts, and the JDK's ZipFile (jar, javap, jarsigner -verify, IDEs, class loaders) reads them"
                    + " all, so ZIP tools may show other contents than jlivepatch would load: build the JAR again with"
                    + " 'jar' or Maven");
        }
        long gap = gapBeforeEndRecord(jar);
        if (gap != 0) {
            throw PatchJar.invalid(source, gap + " bytes lie between its central directory and its end record,"
                    + " where the JDK's ZipFile (jar, javap, jarsigner -verify, IDEs, class loaders) takes the"
                    + " directory to end, so ZIP tools may show other contents than jlivepatch would load: build the"
                    + " JAR again with 'jar' or Maven");
        }
        if (zip64Locator(jar)) {
            throw PatchJar.invalid(source, "a ZIP64 end locator lies right before its end record, so the JDK's ZipFile"
                    + " (jar, javap, jarsigner -verify, IDEs, class loaders) reads the directory the ZIP64 record it"
                    + " points at gives, which jlivepatch does not read: ZIP tools may show other contents than"
                    + " jlivepatch would load; a patch JAR needs no ZIP64: build it again with 'jar' or Maven");
        }
        if (secondEndRecord(jar)) {
            throw PatchJar.invalid(source, "the comment at its end holds a second end of central directory record,"
                    + " which the JDK's ZipFile (jar, javap, jarsigner -verify, IDEs, class loaders) takes for the"
                    + " JAR's own when it comes last, so ZIP tools may show other contents than jlivepatch would load:"
                    + " build the JAR again with 'jar' or Maven");
        }
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            long[] where = listed.remove(e.getKey());
            if (where == null || !sameData(jar, e.getKey(), where, e.getValue())) {
                throw PatchJar.invalid(source, "entry " + PatchJar.quote(e.getKey()) + (where == null
                        ? " is not listed in its central directory" : " differs from what its central directory lists")
                        + ", so ZIP tools show other contents than jlivepatch would load: build the JAR again with"
                        + " 'jar' or Maven");
            }
        }
        if (!listed.isEmpty()) {
            throw PatchJar.invalid(source, "its central directory lists " + PatchJar.quote(listed.keySet().iterator()
                    .next()) + ", which its entries do not hold, so ZIP tools show other contents than jlivepatch"
                    + " would load: build the JAR again with 'jar' or Maven");
        }
    }

    private static final int LOCAL_HEADER = 0x04034b50;

    /**
     * Whether the file the central directory places at {@code where} ({@link #centralDirectory}'s
     * crc, method, compressed size, local header offset) is named {@code name} in its local header,
     * has {@code content}'s CRC-32 and holds exactly {@code content}: inflated (at most one byte more than {@code content}) from
     * the offset the directory gives, never from where the sequential read found it.
     */
    private static boolean sameData(byte[] zip, String name, long[] where, byte[] content) {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        long at = where[3];
        if (at + 30 > zip.length || b.getInt((int) at) != LOCAL_HEADER) {
            return false;
        }
        int local = (int) at;
        int nameLength = b.getShort(local + 26) & 0xFFFF;
        long data = at + 30 + nameLength + (b.getShort(local + 28) & 0xFFFF);
        long size = where[2];
        if (data + size > zip.length || !name.equals(new String(zip, local + 30, nameLength, StandardCharsets.UTF_8))) {
            return false;
        }
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(content);
        if (crc.getValue() != where[0]) {
            return false; // a tool that checks it would call the file corrupt
        }
        if (where[1] == ZipEntry.STORED) {
            return size == content.length && Arrays.equals(zip, (int) data, (int) (data + size), content, 0,
                    content.length);
        }
        if (where[1] != ZipEntry.DEFLATED) {
            return false;
        }
        java.util.zip.Inflater inflater = new java.util.zip.Inflater(true);
        try {
            inflater.setInput(zip, (int) data, (int) size);
            byte[] out = new byte[content.length + 1];
            int n = 0;
            while (n < out.length && !inflater.finished()) {
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break; // the data the directory gives ends before its stream does
                }
                n += got;
            }
            return inflater.finished() && n == content.length && Arrays.equals(out, 0, n, content, 0, n);
        } catch (java.util.zip.DataFormatException e) {
            return false;
        } finally {
            inflater.end();
        }
    }

    private ZipEntry nextEntry(ZipInputStream zip, CappedStream file) throws PatchException, IOException {
        try {
            return zip.getNextEntry();
        } catch (IOException e) {
            if (file.exceeded) {
                throw fileTooLarge();
            }
            throw e;
        }
    }

    /** One entry, read in chunks into a buffer that never grows past the entry's or the total's limit. */
    private byte[] readEntry(InputStream zip, CappedStream file, String name) throws PatchException, IOException {
        long allowed = Math.min(limits.maxEntryBytes(), limits.maxTotalBytes() - total);
        byte[] buf = new byte[(int) Math.min(8192, allowed + 1)];
        int len = 0;
        while (true) {
            if (len == buf.length) {
                if (len > allowed) {
                    throw tooLarge(name, len);
                }
                // grow by doubling, but only to one byte past the limit: that byte tells it is exceeded
                int grown = (int) Math.min(Math.min((long) len * 2, allowed + 1), Integer.MAX_VALUE - 8);
                buf = Arrays.copyOf(buf, grown);
            }
            int n;
            try {
                n = zip.read(buf, len, buf.length - len);
            } catch (IOException e) {
                if (file.exceeded) {
                throw fileTooLarge();
            }
            throw e;
            }
            if (n < 0) {
                break;
            }
            len += n;
            if (len > allowed) {
                throw tooLarge(name, len);
            }
        }
        total += len;
        return len == buf.length ? buf : Arrays.copyOf(buf, len);
    }

    private PatchException tooLarge(String name, long seen) {
        if (seen > limits.maxEntryBytes()) {
            return limits.exceeded(source, JarLimits.MAX_ENTRY_BYTES, "entry " + PatchJar.quote(name) + " inflates to"
                    + " more than " + limits.maxEntryBytes() + " bytes (reading stopped there)");
        }
        return limits.exceeded(source, JarLimits.MAX_TOTAL_BYTES, "its entries inflate to more than "
                + limits.maxTotalBytes() + " bytes together (reading stopped at entry " + PatchJar.quote(name) + ")");
    }

    private PatchException fileTooLarge() {
        return limits.exceeded(source, JarLimits.MAX_JAR_BYTES, "the file grew to more than " + limits.maxJarBytes()
                + " bytes while it was read");
    }

    /** The file's bytes, failing once more than the limit have been read. */
    private static final class CappedStream extends FilterInputStream {
        private final long limit;
        private long read;
        boolean exceeded;

        CappedStream(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count(skipped);
            return skipped;
        }

        private void count(long n) throws IOException {
            read += n;
            if (read > limit) {
                exceeded = true;
                throw new IOException("more than " + limit + " bytes");
            }
        }
    }

    private static final int CEN_END = 0x06054b50;
    private static final int CEN_HEADER = 0x02014b50;
    private static final int CEN_END_SIZE = 22;

    /**
     * Where the end record is: the last one whose comment ends the file (it may be followed by a
     * comment of up to 65,535 bytes), found from the end; -1 when there is none.
     */
    private static int endRecord(byte[] zip) {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = zip.length - CEN_END_SIZE; i >= Math.max(0, zip.length - CEN_END_SIZE - 0xFFFF); i--) {
            if (b.getInt(i) == CEN_END && i + CEN_END_SIZE + (b.getShort(i + 20) & 0xFFFF) == zip.length) {
                return i;
            }
        }
        return -1;
    }

    /**
     * How many bytes lie between the end of the central directory (its offset and size, as the end
     * record gives them) and the end record: none in a JAR as ZIP tools write it. The JDK's ZipFile
     * reads the directory right before the end record, and the files from where that directory's
     * offset then starts, so such bytes can hold a second directory of the same size, and the files
     * it points at, that ZIP tools list where this reader checks the first (MalformedJarTest).
     * Called once {@link #centralDirectory} has read the directory.
     */
    private static long gapBeforeEndRecord(byte[] zip) {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int end = endRecord(zip);
        return end - ((b.getInt(end + 16) & 0xFFFFFFFFL) + (b.getInt(end + 12) & 0xFFFFFFFFL));
    }

    private static final int ZIP64_LOCATOR = 0x07064b50;

    /**
     * Whether a ZIP64 end locator's signature is where the JDK's ZipFile looks for one, the 20 bytes
     * before the end record: it then takes the directory to end where the ZIP64 record says (its
     * sizes need only agree with the end record's), which may be a second directory (in the end
     * record's comment) pointing at other copies of the files (in extra fields); this reader, which
     * reads no ZIP64, would check the first (MalformedJarTest). A directory entry's comment can hold it.
     */
    private static boolean zip64Locator(byte[] zip) {
        int end = endRecord(zip);
        return end >= 20 && ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN).getInt(end - 20) == ZIP64_LOCATOR;
    }

    /**
     * Whether the end record's comment holds another end record: the JDK's ZipFile takes the last
     * one it finds from the end whose directory is where it says (its comment need not end the
     * file), so such a comment can carry a second directory, pointing at other copies of the files
     * hidden in it too, that ZIP tools list where this reader checks the first (MalformedJarTest).
     * Looked for from the byte after the record's own signature: one may begin in its fields.
     */
    private static boolean secondEndRecord(byte[] zip) {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int end = endRecord(zip);
        for (int i = end + 1; end >= 0 && i + 4 <= zip.length; i++) {
            if (b.getInt(i) == CEN_END) {
                return true;
            }
        }
        return false;
    }

    /**
     * What {@link #centralDirectory} answers for a directory whose size holds more (or less) than
     * the headers its end record counts: the JDK's ZipFile reads every header the size holds, and of
     * two of one name finds the last, so one after the counted ones can point ZIP tools at another
     * copy of a file (MalformedJarTest). Compared by identity.
     */
    private static final Map<String, long[]> UNCOUNTED = new LinkedHashMap<>();

    /**
     * The files a ZIP's central directory lists (directories left out), in its order, each with
     * {crc-32, method, compressed size, local header offset}: what {@code jar}, {@code unzip} and class
     * loaders go by, read without trusting the bytes (every offset is checked against the array);
     * {@code null} when it cannot be read, {@link #UNCOUNTED} when its size holds other headers than it
     * counts. ZIP64 is not read: no patch JAR needs it. (Here, not in a
     * class of its own, and no record per entry: every load runs it, and a first load into an
     * application defines as few of jlivepatch's classes as it can; FootprintIT.)
     */
    static Map<String, long[]> centralDirectory(byte[] zip) {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int end = endRecord(zip);
        if (end < 0) {
            return null;
        }
        int count = b.getShort(end + 10) & 0xFFFF;
        long size = b.getInt(end + 12) & 0xFFFFFFFFL;
        long offset = b.getInt(end + 16) & 0xFFFFFFFFL;
        if (count == 0xFFFF || size == 0xFFFFFFFFL || offset == 0xFFFFFFFFL || offset + size > end) {
            return null; // ZIP64, or a directory that does not fit before its end record
        }
        Map<String, long[]> files = new LinkedHashMap<>();
        int at = (int) offset;
        for (int n = 0; n < count; n++) {
            if (at + 46 > end || b.getInt(at) != CEN_HEADER) {
                return null;
            }
            long crc = b.getInt(at + 16) & 0xFFFFFFFFL;
            int method = b.getShort(at + 10) & 0xFFFF;
            long compressed = b.getInt(at + 20) & 0xFFFFFFFFL;
            long local = b.getInt(at + 42) & 0xFFFFFFFFL;
            int nameLength = b.getShort(at + 28) & 0xFFFF;
            int next = at + 46 + nameLength + (b.getShort(at + 30) & 0xFFFF) + (b.getShort(at + 32) & 0xFFFF);
            if (next > end || local >= offset) {
                return null; // a file's data must come before the directory
            }
            String name = new String(zip, at + 46, nameLength, StandardCharsets.UTF_8);
            if (!name.endsWith("/") && files.put(name, new long[] {crc, method, compressed, local}) != null) {
                return null; // listed twice
            }
            at = next;
        }
        return at == offset + size ? files : UNCOUNTED;
    }
}
