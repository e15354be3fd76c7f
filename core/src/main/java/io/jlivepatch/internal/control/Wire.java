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
 * A call (what the agent's end reads, {@link #readName}, {@link #readArgument}) takes only the tags
 * of the operations' parameter types and has one budget for all its values ({@link CallBudget}): a
 * peer makes the agent hold about what it sent, never a multiple of it, and a call's total is bounded.
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

    /**
     * The start of the refusal ({@link #REFUSED}) of a call on patch {@code name} when no patch of that
     * name is registered, followed by {@code " (registered: ...)"}. One place for both ends: the command
     * tells by it that a patch it changed was unregistered since by another operation, which leaves its
     * own change's outcome known (ControlChannel).
     */
    public static String notRegistered(String name) {
        return "ILLEGAL_STATE: no patch '" + name + "' is registered";
    }

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

    /**
     * The longest object or method name of a call: a patch's name is at most 64 characters and the
     * interfaces' method names are short, so a few hundred bytes leave room and bound a runaway.
     */
    static final int MAX_NAME_BYTES = 256;
    /**
     * What one call's values other than its byte array (a patch JAR's content) may take together,
     * tags and lengths included: a load's digest and source, a watch's directory (paths of at most
     * 4096 bytes) fit many times over.
     */
    static final int MAX_CALL_BYTES = 64 << 10;
    /** The most arguments a call has: the interfaces' longest operation, loadContent, takes five. */
    static final int MAX_ARGUMENTS = 16;
    /** How much of a value's announced length is made room for before its bytes arrive. */
    private static final int CHUNK = 64 * 1024;

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
                // The method and what of a patch's code holds the thread inside it, in one: the command only
                // prints the line, and a command of a version before 'inside' prints it whole too.
                writeString(out, w.getMethod() + (w.getInside().isEmpty() ? "" : ", inside " + w.getInside()));
            }
        } else {
            throw new IOException("the channel carries no " + type.getName());
        }
    }

    /**
     * Reads one value of a reply (the command's end): any tag {@link #writeValue} writes.
     *
     * @param maxBytes the longest byte array accepted (a patch JAR's size limit, on the agent's end);
     *                 a longer one is read as a {@link Dropped}
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
                    return new Dropped(n, true);
                }
                return readBytes(in, n);
            }
            case STRINGS: {
                int n = length(in);
                // grown as elements arrive: an announced length alone holds no memory
                java.util.List<String> a = new java.util.ArrayList<>(Math.min(n, 1024));
                for (int i = 0; i < n; i++) {
                    a.add(readString(in));
                }
                return a.toArray(new String[0]);
            }
            case WAITING: {
                int n = length(in);
                java.util.List<WaitingThread> a = new java.util.ArrayList<>(Math.min(n, 1024));
                for (int i = 0; i < n; i++) {
                    String thread = readString(in);
                    long id = in.readLong();
                    // as written: the method with what holds the thread inside it, for the line only
                    a.add(new WaitingThread(thread, id, readString(in)));
                }
                return a.toArray(new WaitingThread[0]);
            }
            default:
                throw new IOException("unknown value tag " + tag + ": the command and the agent are of different"
                        + " jlivepatch versions");
        }
    }

    /**
     * Reads a call's object or method name, at most {@link #MAX_NAME_BYTES}, charged to {@code budget}.
     *
     * @param what {@code "object"} or {@code "method"}, for the refusal
     */
    static String readName(DataInputStream in, CallBudget budget, String what) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_NAME_BYTES) {
            throw new BadCall("a call's " + what + " name of " + n + " bytes, over the limit of " + MAX_NAME_BYTES
                    + " bytes: no jlivepatch " + what + " has such a name");
        }
        budget.charge(4L + n);
        return new String(readBytes(in, n), StandardCharsets.UTF_8);
    }

    /**
     * Reads one argument of a call (the agent's end): only the tags of the interfaces' parameter types
     * (String, boolean, long, byte[]) and null; every value is charged to {@code budget} before it is
     * read, and a call has at most one byte array.
     *
     * @return the value; a byte array longer than the budget's patch JAR limit, or one the session found
     *         no room for (ControlSession.takeJarRoom), as a {@link Dropped}
     * @throws BadCall for a tag no operation takes, or a call over its budget: the call is not run
     */
    static Object readArgument(DataInputStream in, CallBudget budget) throws IOException {
        byte tag = in.readByte();
        budget.charge(1);
        switch (tag) {
            case NULL:
                return null;
            case BOOLEAN:
                budget.charge(1);
                return in.readBoolean();
            case LONG:
                budget.charge(8);
                return in.readLong();
            case STRING: {
                int n = in.readInt();
                if (n < 0) {
                    throw new BadCall("a string of " + n + " bytes");
                }
                budget.charge(4L + n);
                return new String(readBytes(in, n), StandardCharsets.UTF_8);
            }
            case BYTES: {
                int n = in.readInt();
                if (n < 0) {
                    throw new BadCall("a byte array of " + n + " bytes");
                }
                budget.charge(4);
                budget.session.announced(n);
                if (budget.bytesTaken) {
                    throw new BadCall("a call with a second byte array: no operation takes more than one (a patch"
                            + " JAR's content)");
                }
                budget.bytesTaken = true;
                if (n > budget.maxBytes) {
                    // read and dropped as it arrives, so that the call can still be answered with a refusal
                    in.skipNBytes(n);
                    return new Dropped(n, true);
                }
                if (!budget.session.takeJarRoom(n)) {
                    in.skipNBytes(n); // as above: other calls hold the room for patch JARs
                    return new Dropped(n, false);
                }
                byte[] jar = readBytes(in, n);
                budget.session.received();
                return jar;
            }
            default:
                throw new BadCall("an argument with value tag " + tag + (tag >= 0x20 && tag < 0x7f ? " ('" + (char) tag
                        + "')" : "") + ", which no operation's parameter has (they take strings, booleans, longs"
                        + " and a patch JAR's bytes)");
        }
    }

    /**
     * What one call may still send: {@link #MAX_CALL_BYTES} for its names and values but the byte
     * array, which has a limit of its own (the patch JAR limit), and at most one byte array. One per
     * call, on the session's thread only.
     */
    static final class CallBudget {
        private final long maxBytes;
        private final ControlSession session;
        private long left = MAX_CALL_BYTES;
        private boolean bytesTaken;

        /**
         * @param maxBytes the longest byte array kept (a patch JAR's size limit); a longer one is skipped
         * @param session  the session reading the call, which takes room for a byte array before it is
         *                 read (ReceivedJarBytes); one it finds no room for is skipped
         */
        CallBudget(long maxBytes, ControlSession session) {
            this.maxBytes = maxBytes;
            this.session = session;
        }

        /** Takes {@code n} bytes from what is left, before they are read. */
        void charge(long n) throws BadCall {
            if (n > left) {
                throw new BadCall("a call whose names and values other than a patch JAR's bytes take more than "
                        + MAX_CALL_BYTES + " bytes: no operation takes that much");
            }
            left -= n;
        }
    }

    /**
     * A call the agent's end refuses before running it: what it sends is no call of the interfaces.
     * Its message says what was wrong; the connection is closed after the refusal, since the rest of
     * the call cannot be told from the next one.
     */
    static final class BadCall extends IOException {
        private static final long serialVersionUID = 1L;

        BadCall(String message) {
            super(message);
        }
    }

    /**
     * A byte array the receiver did not keep, in place of its content (dropped as it arrived): longer
     * than it accepts, or (a call's, on the agent's end) within that but with no room while other
     * calls' patch JARs held it. One type for both, so that a call's arguments are told from it with
     * one class loaded (FootprintIT).
     *
     * @param bytes     its length
     * @param oversized longer than the receiver accepts; else there was no room for it
     */
    public record Dropped(long bytes, boolean oversized) {
    }

    /**
     * {@code n} bytes, gathered in chunks of at most {@link #CHUNK} as they arrive and put together
     * once all have: a peer that announces a large value and sends part of it makes this hold what
     * it sent and one chunk more, never the announced length (a buffer grown by doubling would hold
     * up to twice what was sent).
     */
    private static byte[] readBytes(DataInputStream in, int n) throws IOException {
        if (n <= CHUNK) {
            byte[] b = new byte[n];
            in.readFully(b);
            return b;
        }
        java.util.List<byte[]> chunks = new java.util.ArrayList<>();
        for (int left = n; left > 0; ) {
            byte[] chunk = new byte[Math.min(left, CHUNK)];
            in.readFully(chunk);
            chunks.add(chunk);
            left -= chunk.length;
        }
        byte[] all = new byte[n];
        int at = 0;
        for (byte[] chunk : chunks) {
            System.arraycopy(chunk, 0, all, at, chunk.length);
            at += chunk.length;
        }
        return all;
    }

    private static int length(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_ARRAY) {
            throw new IOException("an array of " + n + " elements, over the channel's limit of " + MAX_ARRAY);
        }
        return n;
    }
}
