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
            return firstAgentIs(arguments, Path.of(System.getProperty("user.dir", "")), jar);
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /**
     * Whether the first of {@code arguments}' agent options is {@code -javaagent:} of {@code jar}
     * (a relative path is {@code userDir}'s, as the JVM read it). {@code -agentlib:jdwp}, the
     * debugger, transforms no class and does not count; any other native agent may.
     */
    static boolean firstAgentIs(List<String> arguments, Path userDir, Path jar) {
        for (String a : arguments) {
            if (a.startsWith("-javaagent:")) {
                String path = a.substring("-javaagent:".length());
                int options = path.indexOf('=');
                return sameFile(userDir, options < 0 ? path : path.substring(0, options), jar);
            }
            if (a.startsWith("-agentpath:") || (a.startsWith("-agentlib:") && !a.startsWith("-agentlib:jdwp"))) {
                return false;
            }
        }
        return false;
    }

    private static boolean sameFile(Path userDir, String path, Path jar) {
        try {
            return Files.isSameFile(userDir.resolve(path), jar);
        } catch (IOException | InvalidPathException | SecurityException e) {
            return false;
        }
    }
}
