package io.jlivepatch.bench;

import org.apache.commons.math3.distribution.TDistribution;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Statistics and JSON output for the two measurements that are not JMH benchmarks (start-up runs
 * separate JVMs, memory needs a quiet heap). The statistics follow JMH's: the mean and the
 * half-width of its 99.9% confidence interval (Student's t), plus the median.
 */
final class Report {

    private Report() {
    }

    /** Summary of a sample: n, mean, error (99.9% half-width), sd, median, min, max, and the raw values. */
    static Map<String, Object> stats(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Map<String, Object> m = new LinkedHashMap<>();
        int n = v.length;
        double mean = Arrays.stream(v).average().orElse(Double.NaN);
        double sd = 0;
        for (double x : v) {
            sd += (x - mean) * (x - mean);
        }
        sd = n > 1 ? Math.sqrt(sd / (n - 1)) : Double.NaN;
        double error = n > 1 ? new TDistribution(n - 1).inverseCumulativeProbability(1 - 0.001 / 2) * sd / Math.sqrt(n)
                : Double.NaN;
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        m.put("n", n);
        m.put("mean", mean);
        m.put("error", error);
        m.put("sd", sd);
        m.put("median", median(sorted));
        m.put("min", n > 0 ? sorted[0] : Double.NaN);
        m.put("max", n > 0 ? sorted[n - 1] : Double.NaN);
        m.put("values", values);
        return m;
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static void write(Path file, Object json) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        StringBuilder sb = new StringBuilder();
        json(sb, json, "");
        sb.append('\n');
        Files.writeString(file, sb.toString());
    }

    private static void json(StringBuilder sb, Object o, String indent) {
        if (o == null) {
            sb.append("null");
        } else if (o instanceof Map) {
            Map<?, ?> map = (Map<?, ?>) o;
            if (map.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append("{\n");
            Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                sb.append(indent).append("  ");
                string(sb, String.valueOf(e.getKey()));
                sb.append(": ");
                json(sb, e.getValue(), indent + "  ");
                sb.append(it.hasNext() ? ",\n" : "\n");
            }
            sb.append(indent).append('}');
        } else if (o instanceof List) {
            List<?> list = (List<?>) o;
            boolean flat = list.stream().allMatch(x -> x instanceof Number || x instanceof Boolean);
            if (flat) {
                sb.append('[');
                for (int i = 0; i < list.size(); i++) {
                    json(sb, list.get(i), indent);
                    if (i + 1 < list.size()) {
                        sb.append(", ");
                    }
                }
                sb.append(']');
                return;
            }
            sb.append("[\n");
            for (int i = 0; i < list.size(); i++) {
                sb.append(indent).append("  ");
                json(sb, list.get(i), indent + "  ");
                sb.append(i + 1 < list.size() ? ",\n" : "\n");
            }
            sb.append(indent).append(']');
        } else if (o instanceof Double || o instanceof Float) {
            double d = ((Number) o).doubleValue();
            sb.append(Double.isFinite(d) ? String.format(java.util.Locale.ROOT, "%.4f", d) : "null");
        } else if (o instanceof Number || o instanceof Boolean) {
            sb.append(o);
        } else {
            string(sb, o.toString());
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** The JVM this runs on, as JMH's JSON names it. */
    static Map<String, Object> jvm() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jdkVersion", System.getProperty("java.version"));
        m.put("vmName", System.getProperty("java.vm.name"));
        m.put("vmVersion", System.getProperty("java.vm.version"));
        m.put("javaHome", System.getProperty("java.home"));
        m.put("availableProcessors", Runtime.getRuntime().availableProcessors());
        return m;
    }
}
