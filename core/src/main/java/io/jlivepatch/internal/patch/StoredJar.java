package io.jlivepatch.internal.patch;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A minimal JAR (zip) of stored entries with a fixed timestamp. {@code JarOutputStream} would do,
 * but converting its entries' times loads the time-zone database, which costs every application
 * started with the agent several milliseconds.
 */
final class StoredJar {

    private static final int DOS_TIME = 0; // 00:00:00
    private static final int DOS_DATE = (1 << 5) | 1; // 1980-01-01

    private StoredJar() {
    }

    static byte[] of(Map<String, byte[]> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream central = new ByteArrayOutputStream();
        int count = 0;
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] data = e.getValue();
            CRC32 crc = new CRC32();
            crc.update(data);
            int offset = out.size();
            int32(out, 0x04034b50);
            header(out, name, data.length, (int) crc.getValue());
            out.writeBytes(name);
            out.writeBytes(data);
            int32(central, 0x02014b50);
            int16(central, 20); // version made by
            header(central, name, data.length, (int) crc.getValue());
            int16(central, 0); // comment length
            int16(central, 0); // disk number
            int16(central, 0); // internal attributes
            int32(central, 0); // external attributes
            int32(central, offset);
            central.writeBytes(name);
            count++;
        }
        int centralOffset = out.size();
        out.writeBytes(central.toByteArray());
        int32(out, 0x06054b50);
        int16(out, 0);
        int16(out, 0);
        int16(out, count);
        int16(out, count);
        int32(out, central.size());
        int32(out, centralOffset);
        int16(out, 0);
        return out.toByteArray();
    }

    /** The fields local and central headers share, from "version needed" to "extra length". */
    private static void header(ByteArrayOutputStream out, byte[] name, int size, int crc) {
        int16(out, 10); // version needed: stored
        int16(out, 0x0800); // flags: UTF-8 names
        int16(out, 0); // method: stored
        int16(out, DOS_TIME);
        int16(out, DOS_DATE);
        int32(out, crc);
        int32(out, size);
        int32(out, size);
        int16(out, name.length);
        int16(out, 0); // extra length
    }

    private static void int16(ByteArrayOutputStream out, int v) {
        out.write(v & 0xFF);
        out.write((v >>> 8) & 0xFF);
    }

    private static void int32(ByteArrayOutputStream out, int v) {
        int16(out, v & 0xFFFF);
        int16(out, (v >>> 16) & 0xFFFF);
    }
}
