package io.jlivepatch.internal.transition;

import io.jlivepatch.internal.control.Json;
import io.jlivepatch.internal.patch.PrivateTempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The stacks of the threads that neither {@code Thread.getAllStackTraces} nor a thread group lists:
 * virtual threads (JDK 21+), read from the JDK's own thread dump
 * ({@code HotSpotDiagnosticMXBean.dumpThreads}, JSON), which has every thread the JDK tracks, an
 * unmounted virtual thread's stack included (every virtual thread unless the application runs with
 * {@code -Djdk.trackAllThreads=false}). The dump is written to jlivepatch's private directory,
 * read, and deleted; no API hands it over in memory.
 */
final class VirtualThreadStacks {

    /** A dump of a million parked virtual threads is about a gigabyte: past this, the check gives up. */
    static final long MAX_DUMP_BYTES = 64L << 20;

    /** One dumped thread: its id, name, and frames as {class, method[, loader]} ({@link #frames}), innermost first. */
    record Dumped(long tid, String name, List<String[]> frames) {
    }

    private VirtualThreadStacks() {
    }

    /**
     * Every thread of a fresh dump whose id is not in {@code skip}.
     *
     * @throws IOException when no dump can be taken or read here: a JDK without the JSON dump (before
     *                     21, or without the jdk.management module), a private directory that cannot
     *                     be written, a dump larger than {@link #MAX_DUMP_BYTES}; the message says which
     */
    static List<Dumped> dump(Set<Long> skip) throws IOException {
        Path file = PrivateTempDir.open().resolve("threads-" + PrivateTempDir.currentPid() + "-"
                + Long.toHexString(System.nanoTime()) + ".json");
        try {
            write(file);
            long size = Files.size(file);
            if (size > MAX_DUMP_BYTES) {
                throw new IOException("the JDK's thread dump is " + size + " bytes, more than the "
                        + (MAX_DUMP_BYTES >> 20) + " MiB read for this check");
            }
            return parse(new String(Files.readAllBytes(file), StandardCharsets.UTF_8), skip);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** The threads of dump {@code json} whose id is not in {@code skip}. */
    static List<Dumped> parse(String json, Set<Long> skip) throws IOException {
        List<Dumped> out = new ArrayList<>();
        collect(new JsonReader(json).value(), skip, out);
        return out;
    }

    private static void write(Path file) throws IOException {
        try {
            Class<?> bean = Class.forName("com.sun.management.HotSpotDiagnosticMXBean");
            Class<?> format = Class.forName("com.sun.management.HotSpotDiagnosticMXBean$ThreadDumpFormat");
            Method dump = bean.getMethod("dumpThreads", String.class, format);
            @SuppressWarnings({"unchecked", "rawtypes"})
            Object json = Enum.valueOf((Class) format, "JSON");
            dump.invoke(ManagementFactory.getPlatformMXBean(bean.asSubclass(
                    java.lang.management.PlatformManagedObject.class)), file.toString(), json);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException) {
                throw (IOException) cause;
            }
            throw new IOException("the JDK's thread dump failed: " + cause, cause);
        } catch (ReflectiveOperationException | LinkageError | IllegalArgumentException e) {
            throw new IOException("this JDK has no JSON thread dump (HotSpotDiagnosticMXBean.dumpThreads, JDK 21+,"
                    + " module jdk.management): " + e, e);
        }
    }

    /** Finds the thread objects ({@code tid} and {@code stack}) wherever the dump nests them. */
    private static void collect(Object node, Set<Long> skip, List<Dumped> out) {
        if (node instanceof Map<?, ?> m) {
            Object tid = m.get("tid");
            Object stack = m.get("stack");
            if (tid instanceof String id && stack instanceof List<?> frames) {
                if ("false".equals(m.get("virtual"))) {
                    return; // a platform thread, where the dump says so (JDK 25 does)
                }
                long t;
                try {
                    t = Long.parseLong(id);
                } catch (NumberFormatException e) {
                    return;
                }
                if (!skip.contains(t)) {
                    Object name = m.get("name");
                    out.add(new Dumped(t, name instanceof String s ? s : "", frames(frames)));
                }
                return;
            }
            for (Object v : m.values()) {
                collect(v, skip, out);
            }
        } else if (node instanceof List<?> l) {
            for (Object v : l) {
                collect(v, skip, out);
            }
        }
    }

    /**
     * Frames as {@code StackTraceElement.toString} writes them, {@code [loader/][module[@version]/]}
     * {@code class.method(source)}, as {class, method, loader} (loader null when the line names none).
     * Read from the right: a binary name may hold {@code (}, {@code )} and spaces (a generated class
     * {@code p.C(1)}, legal in the JVM), so the source is the part from the last {@code (} (a source
     * file whose own name holds one is read wrong: a class file's SourceFile, far rarer than such a
     * class), the method the part after the last dot before it (a binary name's dots separate its
     * package, and a method name has none), and the class the part before that, back to the slash
     * that ends the loader and module: a binary name has no slash, but a hidden class's frame,
     * {@code Foo$$Lambda/0x....run}, keeps its name whole, {@code Foo$$Lambda/0x...}, as
     * {@code StackTraceElement.getClassName} gives it: what tells @Next's copy of an original method
     * and a hidden patch class apart (PatchedMethods.inside). The loader's name tells a patch JAR's
     * classes ({@code jlivepatch:<patch>}) there.
     */
    static List<String[]> frames(List<?> lines) {
        List<String[]> out = new ArrayList<>(lines.size());
        String lastLoader = null; // most frames of a dump share a few loaders: one string each, not one a frame
        for (Object o : lines) {
            if (!(o instanceof String line)) {
                continue;
            }
            int paren = line.endsWith(")") ? line.lastIndexOf('(') : -1;
            String head = paren < 0 ? line : line.substring(0, paren);
            int dot = head.lastIndexOf('.');
            if (dot <= 0 || dot == head.length() - 1) {
                continue; // no class, or no method ("p.C.(x)", a line cut short): no frame to match
            }
            int slash = head.lastIndexOf('/', dot);
            if (slash > 0 && hiddenSuffix(head, slash, dot)) {
                slash = head.lastIndexOf('/', slash - 1); // a hidden class: its name ends in /0x...
            }
            if (slash + 1 >= dot) {
                continue;
            }
            String loader = null;
            if (slash > 0) {
                // the prefix before the class: "loader/module@v/", "loader//", or "module/" (no loader)
                int end = head.lastIndexOf('/', slash - 1);
                if (end > 0) {
                    loader = lastLoader != null && lastLoader.length() == end && head.startsWith(lastLoader)
                            ? lastLoader : head.substring(0, end);
                    lastLoader = loader;
                }
            }
            out.add(loader == null ? new String[] {head.substring(slash + 1, dot), head.substring(dot + 1)}
                    : new String[] {head.substring(slash + 1, dot), head.substring(dot + 1), loader});
        }
        return out;
    }

    /** Whether {@code head} between the slash at {@code slash} and the dot at {@code dot} is /0x&lt;hex&gt;. */
    private static boolean hiddenSuffix(String head, int slash, int dot) {
        if (!head.startsWith("0x", slash + 1) || dot - slash < 4) {
            return false;
        }
        for (int i = slash + 3; i < dot; i++) {
            if (Character.digit(head.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Just enough JSON for the JDK's thread dump: objects, arrays, strings, and the rest as text. */
    static final class JsonReader {
        private final String s;
        private int i;

        JsonReader(String s) {
            this.s = s;
        }

        Object value() throws IOException {
            skipSpace();
            if (i >= s.length()) {
                throw new IOException("the thread dump ends early");
            }
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                skipSpace();
                if (peek('}')) {
                    return m;
                }
                do {
                    skipSpace();
                    String key = string();
                    skipSpace();
                    expect(':');
                    m.put(key, value());
                    skipSpace();
                } while (peek(','));
                expect('}');
                return m;
            }
            if (c == '[') {
                i++;
                List<Object> l = new ArrayList<>();
                skipSpace();
                if (peek(']')) {
                    return l;
                }
                do {
                    l.add(value());
                    skipSpace();
                } while (peek(','));
                expect(']');
                return l;
            }
            if (c == '"') {
                return string();
            }
            int start = i; // number, true, false, null: kept as their text
            while (i < s.length() && ",}] \t\r\n".indexOf(s.charAt(i)) < 0) {
                i++;
            }
            if (start == i) {
                throw new IOException("the thread dump has '" + c + "' where a value belongs, at offset " + i);
            }
            return s.substring(start, i);
        }

        private String string() throws IOException {
            expect('"');
            StringBuilder b = new StringBuilder();
            try {
                i = Json.readString(s, i - 1, b);
            } catch (Json.Malformed e) {
                throw new IOException("the thread dump " + e.getMessage(), e);
            }
            return b.toString();
        }

        private void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) throws IOException {
            if (!peek(c)) {
                throw new IOException("the thread dump has no '" + c + "' at offset " + i);
            }
        }
    }
}
