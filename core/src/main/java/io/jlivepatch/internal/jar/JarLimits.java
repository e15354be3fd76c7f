package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.Log;

import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * How much of a patch JAR jlivepatch reads before it refuses the JAR. A patch JAR is untrusted
 * input read inside the application: each limit bounds what reading it may cost, whatever the JAR
 * declares about itself.
 *
 * <p>Each limit has an option name, taken by the agent ({@code -javaagent:jlivepatch-agent.jar=
 * max-entry-bytes=32m}) and as a system property ({@code -Djlivepatch.max-entry-bytes=32m}, which
 * is how the {@code jlivepatch} command's own check of a JAR is raised too). Byte counts take a
 * {@code k}, {@code m} or {@code g} suffix (binary multiples).
 *
 * @param maxJarBytes         {@code max-jar-bytes}: the JAR file's size
 * @param maxEntries          {@code max-entries}: entries, directories included
 * @param maxEntryBytes       {@code max-entry-bytes}: one entry, uncompressed
 * @param maxTotalBytes       {@code max-total-bytes}: all entries together, uncompressed
 * @param maxDescriptionChars {@code max-description-chars}: {@code Livepatch-Description}
 * @param maxValueChars       {@code max-manifest-value-chars}: any other manifest value
 */
public record JarLimits(long maxJarBytes, int maxEntries, long maxEntryBytes, long maxTotalBytes,
                        int maxDescriptionChars, int maxValueChars) {

    public static final String MAX_JAR_BYTES = "max-jar-bytes";
    public static final String MAX_ENTRIES = "max-entries";
    public static final String MAX_ENTRY_BYTES = "max-entry-bytes";
    public static final String MAX_TOTAL_BYTES = "max-total-bytes";
    public static final String MAX_DESCRIPTION_CHARS = "max-description-chars";
    public static final String MAX_VALUE_CHARS = "max-manifest-value-chars";

    /** Every option, in the order of the record's components. */
    public static final List<String> OPTIONS = List.of(MAX_JAR_BYTES, MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_TOTAL_BYTES,
            MAX_DESCRIPTION_CHARS, MAX_VALUE_CHARS);

    /** A patch is a few classes; these leave a hundred times that room. */
    public static final JarLimits DEFAULTS = new JarLimits(64L << 20, 10_000, 16L << 20, 64L << 20, 1_000, 65_536);

    /**
     * The most any byte count may be: a JAR, and each entry, is read into one array, and reading
     * must be able to hold one byte past a limit to see it exceeded; a gibibyte leaves a patch, a
     * few classes, ten thousand times its room.
     */
    public static final long MAX_BYTES = 1L << 30;

    /** The system property of an option: {@code jlivepatch.} and the option. */
    public static final String PROPERTY_PREFIX = "jlivepatch.";

    /**
     * The limits reads use unless given others. Written by the agent at start-up or attach
     * ({@link #setCurrent}); volatile so that a load on any thread reads the agent's last write.
     */
    private static volatile JarLimits current = fromProperties(System.getProperties());

    public JarLimits {
        bytes(MAX_JAR_BYTES, maxJarBytes);
        positive(MAX_ENTRIES, maxEntries);
        bytes(MAX_ENTRY_BYTES, maxEntryBytes);
        bytes(MAX_TOTAL_BYTES, maxTotalBytes);
        positive(MAX_DESCRIPTION_CHARS, maxDescriptionChars);
        positive(MAX_VALUE_CHARS, maxValueChars);
    }

    /*
     * equals and hashCode written out: a record's own are invokedynamic (ObjectMethods), whose first
     * call brings up java.lang.invoke. The agent compares its limits with the ones in force at every
     * start-up, where that cost 34-38 ms of a plain -javaagent's premain on JDK 17 (BENCHMARKS.md,
     * issue 14), for a JVM that may never need a method handle.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof JarLimits l && maxJarBytes == l.maxJarBytes && maxEntries == l.maxEntries
                && maxEntryBytes == l.maxEntryBytes && maxTotalBytes == l.maxTotalBytes
                && maxDescriptionChars == l.maxDescriptionChars && maxValueChars == l.maxValueChars;
    }

    @Override
    public int hashCode() {
        long h = maxJarBytes;
        h = 31 * h + maxEntries;
        h = 31 * h + maxEntryBytes;
        h = 31 * h + maxTotalBytes;
        h = 31 * h + maxDescriptionChars;
        h = 31 * h + maxValueChars;
        return Long.hashCode(h);
    }

    public static JarLimits current() {
        return current;
    }

    public static void setCurrent(JarLimits limits) {
        current = java.util.Objects.requireNonNull(limits, "limits");
    }

    /**
     * These limits with one option changed.
     *
     * @throws IllegalArgumentException for an unknown option or a value that is not a positive count
     */
    public JarLimits with(String option, String value) {
        long v = parse(option, value);
        switch (option) {
            case MAX_JAR_BYTES:
                return new JarLimits(v, maxEntries, maxEntryBytes, maxTotalBytes, maxDescriptionChars, maxValueChars);
            case MAX_ENTRIES:
                return new JarLimits(maxJarBytes, toInt(option, v), maxEntryBytes, maxTotalBytes, maxDescriptionChars,
                        maxValueChars);
            case MAX_ENTRY_BYTES:
                return new JarLimits(maxJarBytes, maxEntries, v, maxTotalBytes, maxDescriptionChars, maxValueChars);
            case MAX_TOTAL_BYTES:
                return new JarLimits(maxJarBytes, maxEntries, maxEntryBytes, v, maxDescriptionChars, maxValueChars);
            case MAX_DESCRIPTION_CHARS:
                return new JarLimits(maxJarBytes, maxEntries, maxEntryBytes, maxTotalBytes, toInt(option, v),
                        maxValueChars);
            case MAX_VALUE_CHARS:
                return new JarLimits(maxJarBytes, maxEntries, maxEntryBytes, maxTotalBytes, maxDescriptionChars,
                        toInt(option, v));
            default:
                throw new IllegalArgumentException("unknown option '" + option + "': the patch JAR limits are "
                        + String.join(", ", OPTIONS));
        }
    }

    /** The value of one option. */
    public long get(String option) {
        switch (option) {
            case MAX_JAR_BYTES:
                return maxJarBytes;
            case MAX_ENTRIES:
                return maxEntries;
            case MAX_ENTRY_BYTES:
                return maxEntryBytes;
            case MAX_TOTAL_BYTES:
                return maxTotalBytes;
            case MAX_DESCRIPTION_CHARS:
                return maxDescriptionChars;
            case MAX_VALUE_CHARS:
                return maxValueChars;
            default:
                throw new IllegalArgumentException("unknown option '" + option + "'");
        }
    }

    /**
     * The refusal of a JAR that exceeds one limit: which limit, what was seen, the limit, and how
     * to raise it.
     *
     * @param seen what the JAR had, e.g. "the file has 70000000 bytes"
     */
    public PatchException exceeded(String source, String option, String seen) {
        return new PatchException(Reason.INVALID_PATCH, null, PatchJar.about(source) + ": " + seen
                + ", over the limit " + option + "=" + get(option) + ADVICE + raiseInJvm(option));
    }

    /** What {@link #exceeded} puts between the limit and {@link #raiseInJvm}. */
    public static final String ADVICE = ": if the JAR is genuine, raise the limit with ";

    /** How a JVM that loads patch JARs is given a higher limit: the agent option, or the system property. */
    public static String raiseInJvm(String option) {
        return "the agent option " + option + "=<n> (-javaagent:jlivepatch-agent.jar=" + option + "=<n>) or the"
                + " system property " + PROPERTY_PREFIX + option + "=<n>";
    }

    /** Defaults changed by the {@code jlivepatch.max-...} system properties present; a bad one is logged and ignored. */
    static JarLimits fromProperties(Properties properties) {
        JarLimits limits = DEFAULTS;
        for (String option : OPTIONS) {
            String value = properties.getProperty(PROPERTY_PREFIX + option);
            if (value != null) {
                try {
                    limits = limits.with(option, value);
                } catch (IllegalArgumentException e) {
                    Log.get().log(System.Logger.Level.WARNING, "system property " + PROPERTY_PREFIX + option
                            + " ignored: " + e.getMessage());
                }
            }
        }
        return limits;
    }

    private static long parse(String option, String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        int shift = 0;
        if (v.endsWith("k") || v.endsWith("m") || v.endsWith("g")) {
            shift = v.endsWith("k") ? 10 : v.endsWith("m") ? 20 : 30;
            v = v.substring(0, v.length() - 1);
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n <= 0 || n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException(option + "=" + value + " is not a positive count: give a number,"
                    + " for byte counts optionally with k, m or g (e.g. " + option + "=32m)");
        }
        return n << shift;
    }

    private static int toInt(String option, long v) {
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(option + "=" + v + " is too large: at most " + Integer.MAX_VALUE);
        }
        return (int) v;
    }

    private static void bytes(String option, long v) {
        positive(option, v);
        if (v > MAX_BYTES) {
            throw new IllegalArgumentException(option + "=" + v + " is too large: at most 1g (" + MAX_BYTES
                    + " bytes), since the JAR and each of its entries are read into memory whole");
        }
    }

    private static void positive(String option, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(option + " must be positive, not " + v);
        }
    }
}
