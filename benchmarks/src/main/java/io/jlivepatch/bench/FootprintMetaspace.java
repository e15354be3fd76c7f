package io.jlivepatch.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code jcmd <pid> VM.metaspace show-loaders} says about a target, parsed. {@code committed} is the figure {@code -XX:MaxMetaspaceSize} limits (the
 * committed part of the metaspace's virtual space, class space included); {@code used} is what the
 * loaded classes occupy in it. Classes from the CDS archive take no metaspace, so a count of
 * classes and a metaspace figure are not proportional.
 *
 * @param committed bytes, "Virtual space: Both: ... committed"
 * @param used      bytes, "Total Usage ... Both: ... used"
 * @param classes   "Total Usage - n loaders, m classes": classes alive (hidden ones included)
 * @param byLoader  used bytes per class loader ({@code VM.classloader_stats} is not used: on JDK 17
 *                  its block sizes miss most of the metaspace)
 */
record FootprintMetaspace(long committed, long used, int classes, Map<String, Long> byLoader) {

    private static final Pattern TOTAL = Pattern.compile("Total Usage - \\d+ loaders, (\\d+) classes");
    private static final Pattern USED = Pattern.compile("Both:.*?committed,\\s+([\\d.]+ \\w+) \\(\\s*[\\d<>]+%\\) used");
    private static final Pattern VIRTUAL = Pattern.compile("Both:\\s+[\\d.]+ \\w+ reserved,\\s+([\\d.]+ \\w+) \\(.*committed");
    private static final Pattern LOADER = Pattern.compile("^\\s*\\d+: CLD 0x\\p{XDigit}+: (.*?), \\d+ class");

    static FootprintMetaspace parse(String metaspace) {
        Matcher total = TOTAL.matcher(metaspace);
        if (!total.find()) {
            throw new IllegalStateException("no 'Total Usage' in VM.metaspace output:\n" + metaspace);
        }
        int classes = Integer.parseInt(total.group(1));
        Matcher used = USED.matcher(metaspace);
        if (!used.find(total.end())) {
            throw new IllegalStateException("no used 'Both:' line in VM.metaspace output:\n" + metaspace);
        }
        Matcher virtual = VIRTUAL.matcher(metaspace);
        if (!virtual.find()) {
            throw new IllegalStateException("no 'Virtual space' 'Both:' line in VM.metaspace output:\n" + metaspace);
        }
        return new FootprintMetaspace(bytes(virtual.group(1)), bytes(used.group(1)), classes, loaders(metaspace));
    }

    /**
     * Used bytes per class loader description ({@code "app" instance of ...}, {@code <hidden class>,
     * loaded by "<bootstrap>"}, ...); several loaders of one description (one per patch, each
     * non-strong hidden class) add up.
     */
    private static Map<String, Long> loaders(String showLoaders) {
        Map<String, Long> out = new TreeMap<>();
        String current = null;
        for (String line : showLoaders.split("\n")) {
            Matcher m = LOADER.matcher(line);
            if (m.find()) {
                current = m.group(1).replaceAll(" 0x\\p{XDigit}+", "");
                continue;
            }
            if (current != null && line.trim().startsWith("Both:")) {
                Matcher u = USED.matcher(line);
                if (u.find()) {
                    out.merge(current, bytes(u.group(1)), Long::sum);
                }
                current = null;
            }
        }
        return out;
    }

    /** "1.20 MB", "103.48 KB", "64 bytes" (jcmd's units are powers of 1024). */
    static long bytes(String figure) {
        String[] parts = figure.trim().split("\\s+");
        double v = Double.parseDouble(parts[0]);
        switch (parts[1]) {
            case "bytes": return (long) v;
            case "KB": return Math.round(v * 1024);
            case "MB": return Math.round(v * 1024 * 1024);
            case "GB": return Math.round(v * 1024 * 1024 * 1024);
            default: throw new IllegalArgumentException("unknown unit in '" + figure + "'");
        }
    }
}
