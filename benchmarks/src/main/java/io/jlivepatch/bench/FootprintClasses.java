package io.jlivepatch.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The classes a target JVM defined, read from its {@code -Xlog:class+load} output (one line per
 * class defined, CDS-shared and hidden classes included), sorted into what caused them.
 * A class belongs to the first category that matches; "JDK" categories hold JDK classes, whoever
 * asked for them (which step asked is what the snapshots around a step say).
 */
final class FootprintClasses {

    /** Category names, in report order. */
    static final String RETRANSFORMED_MARK = " (retransformed)";
    static final String RETRANSFORMED = "application classes retransformed (hook added)";
    static final String PATCH = "patch classes";
    static final String PICOCLI = "io.jlivepatch (shaded picocli)";
    static final String ASM = "io.jlivepatch (shaded ASM)";
    static final String OWN_HIDDEN = "io.jlivepatch (lambdas, hidden)";
    static final String OWN = "io.jlivepatch";
    static final String CONNECTOR = "JDK: JMX connector, RMI, management agent";
    static final String JMX = "JDK: JMX, platform MBeans";
    static final String LOGGING = "JDK: java.util.logging, System.Logger";
    static final String STREAMS = "JDK: java.util.stream";
    static final String INVOKE = "JDK: java.lang.invoke, lambdas (hidden)";
    static final String REFLECTION = "JDK: reflection";
    static final String INSTRUMENT = "JDK: instrument, attach";
    static final String OTHER = "JDK: other";
    static final List<String> ORDER = List.of(RETRANSFORMED, PATCH, PICOCLI, ASM, OWN_HIDDEN, OWN, CONNECTOR, JMX, LOGGING,
            STREAMS, INVOKE, REFLECTION, INSTRUMENT, OTHER);

    private FootprintClasses() {
    }

    /**
     * The class name of a {@code [..][info][class,load] name source: ...} line, with
     * {@link #RETRANSFORMED_MARK} when the line is a retransformation (a new version of a class
     * already counted); null for other lines (the log also says when it opens a JAR).
     */
    static String className(String line) {
        int tag = line.indexOf("[class,load] ");
        int source = line.indexOf(" source: ");
        if (tag < 0 || source < 0) {
            return null;
        }
        String name = line.substring(tag + "[class,load] ".length(), source);
        return line.startsWith("__VM_RedefineClasses__", source + " source: ".length()) ? name + RETRANSFORMED_MARK : name;
    }

    static List<String> classNames(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            String name = className(line);
            if (name != null) {
                out.add(name);
            }
        }
        return out;
    }

    static boolean hidden(String name) {
        return name.contains("/0x");
    }

    static String category(String name, Set<String> patchClasses) {
        if (name.endsWith(RETRANSFORMED_MARK)) {
            return RETRANSFORMED;
        }
        int hiddenSuffix = name.indexOf("/0x");
        if (patchClasses.contains(hiddenSuffix < 0 ? name : name.substring(0, hiddenSuffix))) {
            return PATCH;
        }
        if (name.startsWith("io.jlivepatch.internal.shaded.picocli.")) {
            return PICOCLI;
        }
        if (name.startsWith("io.jlivepatch.internal.shaded.")) {
            return ASM;
        }
        if (name.startsWith("io.jlivepatch.")) {
            return hidden(name) ? OWN_HIDDEN : OWN;
        }
        if (startsWith(name, "javax.management.remote.", "sun.rmi.", "java.rmi.", "jdk.internal.agent.",
                "sun.management.jmxremote.", "com.sun.jmx.remote.", "sun.management.jdp.", "javax.rmi.")) {
            return CONNECTOR;
        }
        if (startsWith(name, "javax.management.", "com.sun.jmx.", "java.lang.management.", "sun.management.",
                "com.sun.management.", "jdk.management.")) {
            return JMX;
        }
        if (startsWith(name, "java.util.logging.", "jdk.internal.logger.", "sun.util.logging.")) {
            return LOGGING;
        }
        if (name.startsWith("java.util.stream.")) {
            return STREAMS;
        }
        if (hidden(name) || startsWith(name, "java.lang.invoke.", "java.lang.constant.", "jdk.internal.org.objectweb.")) {
            return INVOKE;
        }
        if (startsWith(name, "jdk.internal.reflect.", "sun.reflect.", "java.lang.reflect.")) {
            return REFLECTION;
        }
        if (startsWith(name, "sun.instrument.", "java.lang.instrument.", "sun.tools.attach.", "jdk.internal.vm.VMSupport")) {
            return INSTRUMENT;
        }
        return OTHER;
    }

    /** Count per category, every category present (0 when none), in {@link #ORDER}. */
    static Map<String, Integer> count(List<String> names, Set<String> patchClasses) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String c : ORDER) {
            out.put(c, 0);
        }
        for (String name : names) {
            out.merge(category(name, patchClasses), 1, Integer::sum);
        }
        return out;
    }

    private static boolean startsWith(String name, String... prefixes) {
        for (String p : prefixes) {
            if (name.startsWith(p)) {
                return true;
            }
        }
        return false;
    }
}
