package io.jlivepatch.internal.control;

import io.jlivepatch.control.WaitingThread;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The command channel's wire format, shared by the agent's end ({@link ControlServer}) and the
 * command's: calls of the published MBean interfaces, each a request and a reply on a local socket.
 * Only the few value types those interfaces use are encoded, each with a tag; nothing is ever
 * deserialized as an object, and every length is checked against a bound before a buffer is made.
 *
 * <pre>
 * hello    client: int MAGIC, long client pid        server: int MAGIC, string version
 * call     client: byte CALL, string object ("" = Livepatch, else the patch's name), string method,
 *                  int n, n values
 * reply    server: byte OK, value | byte REFUSED, string message | byte FAILED, string message
 * </pre>
 */
public final class Wire {

    /** {@code JLP1}. */
    public static final int MAGIC = 0x4A4C5031;
    public static final byte CALL = 1;
    public static final byte OK = 0;
    /** The target refused: an {@code IllegalStateException} whose message starts with the reason. */
    public static final byte REFUSED = 1;
    /** Anything else that went wrong. */
    public static final byte FAILED = 2;

    static final byte VOID = 'V';
    static final byte NULL = 'N';
    static final byte BOOLEAN = 'Z';
    static final byte INT = 'I';
    static final byte LONG = 'J';
    static final byte STRING = 'S';
    static final byte BYTES = 'B';
    static final byte STRINGS = 'A';
    static final byte WAITING = 'W';

    /** The longest string: a status report of many patches fits, a runaway length does not. */
    static final int MAX_STRING_BYTES = 16 << 20;
    static final int MAX_ARRAY = 1 << 20;

    private Wire() {
    }

    public static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    public static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_STRING_BYTES) {
            throw new IOException("a string of " + n + " bytes, over the channel's limit of " + MAX_STRING_BYTES);
        }
        return new String(readBytes(in, n), StandardCharsets.UTF_8);
    }

    /** Writes one value of the types the MBean interfaces use; {@code type} is its declared type. */
    public static void writeValue(DataOutputStream out, Class<?> type, Object value) throws IOException {
        if (type == void.class) {
            out.writeByte(VOID);
        } else if (value == null) {
            out.writeByte(NULL);
        } else if (type == boolean.class || type == Boolean.class) {
            out.writeByte(BOOLEAN);
            out.writeBoolean((Boolean) value);
        } else if (type == int.class || type == Integer.class) {
            out.writeByte(INT);
            out.writeInt((Integer) value);
        } else if (type == long.class || type == Long.class) {
            out.writeByte(LONG);
            out.writeLong((Long) value);
        } else if (type == String.class) {
            out.writeByte(STRING);
            writeString(out, (String) value);
        } else if (type == byte[].class) {
            byte[] b = (byte[]) value;
            out.writeByte(BYTES);
            out.writeInt(b.length);
            out.write(b);
        } else if (type == String[].class) {
            String[] a = (String[]) value;
            out.writeByte(STRINGS);
            out.writeInt(a.length);
            for (String s : a) {
                writeString(out, s == null ? "" : s);
            }
        } else if (type == WaitingThread[].class) {
            WaitingThread[] a = (WaitingThread[]) value;
            out.writeByte(WAITING);
            out.writeInt(a.length);
            for (WaitingThread w : a) {
                writeString(out, w.getThread());
                out.writeLong(w.getThreadId());
                writeString(out, w.getMethod());
            }
        } else {
            throw new IOException("the channel carries no " + type.getName());
        }
    }

    /**
     * Reads one value.
     *
     * @param maxBytes the longest byte array accepted (a patch JAR's size limit, on the agent's end);
     *                 a longer one is read as an {@link Oversized}
     */
    public static Object readValue(DataInputStream in, long maxBytes) throws IOException {
        byte tag = in.readByte();
        switch (tag) {
            case VOID:
            case NULL:
                return null;
            case BOOLEAN:
                return in.readBoolean();
            case INT:
                return in.readInt();
            case LONG:
                return in.readLong();
            case STRING:
                return readString(in);
            case BYTES: {
                int n = in.readInt();
                if (n < 0) {
                    throw new IOException("a byte array of " + n + " bytes");
                }
                if (n > maxBytes) {
                    // read and dropped, so that the call can still be answered with a refusal
                    in.skipNBytes(n);
                    return new Oversized(n);
                }
                return readBytes(in, n);
            }
            case STRINGS: {
                String[] a = new String[length(in)];
                for (int i = 0; i < a.length; i++) {
                    a[i] = readString(in);
                }
                return a;
            }
            case WAITING: {
                WaitingThread[] a = new WaitingThread[length(in)];
                for (int i = 0; i < a.length; i++) {
                    String thread = readString(in);
                    long id = in.readLong();
                    a[i] = new WaitingThread(thread, id, readString(in));
                }
                return a;
            }
            default:
                throw new IOException("unknown value tag " + tag + ": the command and the agent are of different"
                        + " jlivepatch versions");
        }
    }

    /**
     * A byte array longer than the receiver accepts, in place of its content (dropped as it arrived).
     *
     * @param bytes its length
     */
    public record Oversized(long bytes) {
    }

    /**
     * {@code n} bytes, in a buffer that grows as they arrive: a peer that announces a large value and
     * sends nothing holds no more memory than it sent.
     */
    private static byte[] readBytes(DataInputStream in, int n) throws IOException {
        byte[] buf = new byte[Math.min(n, 64 * 1024)];
        int len = 0;
        while (len < n) {
            if (len == buf.length) {
                buf = java.util.Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, n));
            }
            int r = in.read(buf, len, buf.length - len);
            if (r < 0) {
                throw new java.io.EOFException("the peer closed the connection in the middle of a value");
            }
            len += r;
        }
        return buf;
    }

    private static int length(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_ARRAY) {
            throw new IOException("an array of " + n + " elements, over the channel's limit of " + MAX_ARRAY);
        }
        return n;
    }
}
