package io.jlivepatch.internal.jar;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The files a ZIP's central directory lists, with the CRC-32 of each: what {@code jar}, {@code unzip}
 * and class loaders go by, read from the bytes without trusting them (every offset is checked
 * against the array). ZIP64 is not read: no patch JAR needs it.
 */
final class CentralDirectory {

    private static final int END = 0x06054b50;
    private static final int HEADER = 0x02014b50;
    private static final int END_SIZE = 22;

    private CentralDirectory() {
    }

    /** File name (directories left out) to CRC-32, in the directory's order; {@code null} when it cannot be read. */
    static Map<String, Long> files(byte[] zip) {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int end = -1;
        // the end record, found from the end: it may be followed by a comment of up to 65,535 bytes
        for (int i = zip.length - END_SIZE; i >= Math.max(0, zip.length - END_SIZE - 0xFFFF); i--) {
            if (b.getInt(i) == END && i + END_SIZE + (b.getShort(i + 20) & 0xFFFF) == zip.length) {
                end = i;
                break;
            }
        }
        if (end < 0) {
            return null;
        }
        int count = b.getShort(end + 10) & 0xFFFF;
        long size = b.getInt(end + 12) & 0xFFFFFFFFL;
        long offset = b.getInt(end + 16) & 0xFFFFFFFFL;
        if (count == 0xFFFF || size == 0xFFFFFFFFL || offset == 0xFFFFFFFFL || offset + size > end) {
            return null; // ZIP64, or a directory that does not fit before its end record
        }
        Map<String, Long> files = new LinkedHashMap<>();
        int at = (int) offset;
        for (int n = 0; n < count; n++) {
            if (at + 46 > end || b.getInt(at) != HEADER) {
                return null;
            }
            long crc = b.getInt(at + 16) & 0xFFFFFFFFL;
            int nameLength = b.getShort(at + 28) & 0xFFFF;
            int next = at + 46 + nameLength + (b.getShort(at + 30) & 0xFFFF) + (b.getShort(at + 32) & 0xFFFF);
            if (next > end) {
                return null;
            }
            String name = new String(zip, at + 46, nameLength, StandardCharsets.UTF_8);
            if (!name.endsWith("/") && files.put(name, crc) != null) {
                return null; // listed twice
            }
            at = next;
        }
        return files;
    }
}
