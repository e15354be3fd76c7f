package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.BackgroundInstall;
import io.jlivepatch.internal.OwnBuild;

import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * Whether jlivepatch's transformer already runs before every other agent's, so that advising the
 * operator to start it first would be advice they have followed. The JVM calls the transformers of
 * agents able to retransform in the order the agents were started; a transformer that cannot
 * retransform (JaCoCo's) runs at a class's definition only, before all of those, and its output is
 * what every retransformation starts from. So when jlivepatch was started by the first agent option
 * on the command line, another agent's code that its hook finds in a method got there at the
 * class's definition, and no start order changes that.
 */
final class AgentOrder {

    private AgentOrder() {
    }

    /**
     * Whether the hooks run from {@code inst} (the installation's) came from premain, and that
     * premain's {@code -javaagent} is the JVM's first agent option. False when that cannot be told
     * (no {@code java.management} in a jlink'ed runtime, the agent's JAR not found).
     */
    static boolean jlivepatchFirst(Instrumentation inst) {
        if (inst == null || inst != BackgroundInstall.premains()) {
            return false; // attached, or started by -javaagent but installed by a later attach
        }
        Path jar = OwnBuild.openedJar();
        if (jar == null || ModuleLayer.boot().findModule("java.management").isEmpty()) {
            return false;
        }
        try {
            // JAVA_TOOL_OPTIONS and the launcher's JDK_JAVA_OPTIONS are among them, in the JVM's order
            List<String> arguments = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
            return firstAgentIs(arguments, launchDirectory(arguments), jar);
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /**
     * The directory the JVM resolved a relative {@code -javaagent} path against: its working directory at
     * start-up, which the default file system read then ({@code Path.of("").toAbsolutePath()}); not
     * {@code user.dir} now, which the application may have set since without the process moving. Null
     * when the command line set {@code -Duser.dir}: then the file system's directory is that property's,
     * not the process's, and which file a relative path named cannot be told.
     */
    static Path launchDirectory(List<String> arguments) {
        for (String a : arguments) {
            if (a.startsWith("-Duser.dir=")) {
                return null;
            }
        }
        return Path.of("").toAbsolutePath();
    }

    /**
     * Whether the first of {@code arguments}' agent options is {@code -javaagent:} of {@code jar}
     * (a relative path is {@code launchDir}'s, as the JVM read it; none: cannot be told), and no later
     * one names it again (which of the two installed, and so whose transformer the hooks are, cannot be
     * told). The debugger ({@code -agentlib:jdwp}, {@code -Xrunjdwp}) transforms no class and does not
     * count; any other native agent ({@code -agentpath}, {@code -agentlib}, the older {@code -Xrun}) may.
     */
    static boolean firstAgentIs(List<String> arguments, Path launchDir, Path jar) {
        Boolean first = null; // decided by the first agent option
        for (String a : arguments) {
            if (a.startsWith("-javaagent:")) {
                String path = a.substring("-javaagent:".length());
                int options = path.indexOf('=');
                boolean jars = sameFile(launchDir, options < 0 ? path : path.substring(0, options), jar);
                if (first == null) {
                    first = jars;
                } else if (jars) {
                    return false; // named again
                }
            } else if (first == null && (a.startsWith("-agentpath:")
                    || (a.startsWith("-agentlib:") && !debugger(a, "-agentlib:"))
                    || (a.startsWith("-Xrun") && !debugger(a, "-Xrun")))) {
                return false;
            }
        }
        return first != null && first;
    }

    /** Whether the native agent option {@code a} ({@code prefix} and a library's name) is the debugger's. */
    private static boolean debugger(String a, String prefix) {
        String library = a.substring(prefix.length());
        return library.equals("jdwp") || library.startsWith("jdwp=") || library.startsWith("jdwp:");
    }

    private static boolean sameFile(Path launchDir, String path, Path jar) {
        try {
            Path p = Path.of(path);
            if (!p.isAbsolute()) {
                if (launchDir == null) {
                    return false; // cannot be told
                }
                p = launchDir.resolve(p);
            }
            return Files.isSameFile(p, jar);
        } catch (IOException | InvalidPathException | SecurityException e) {
            return false;
        }
    }
}
