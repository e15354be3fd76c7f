package io.jlivepatch.spring;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One jlivepatch command in a JVM of its own ({@code java -jar jlivepatch-agent.jar ...}), as an operator runs it. */
record Jlivepatch(int exitCode, String out, String err) {

    /** The agent JAR of this build (agent/target), which is also the command. */
    static final Path AGENT = Paths.get(System.getProperty("jlivepatch.agent.jar"));

    /** Longer than any command may take: a hang detector, not a measure. */
    private static final long HANG_SECONDS = 120;

    static Jlivepatch run(Object... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-jar", AGENT.toString()));
        for (Object a : args) {
            cmd.add(String.valueOf(a));
        }
        Path out = Files.createTempFile("jlivepatch-cli", ".out");
        Path err = Files.createTempFile("jlivepatch-cli", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(HANG_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("jlivepatch " + String.join(" ", cmd.subList(3, cmd.size()))
                        + " still runs after " + HANG_SECONDS + " s: it hangs");
            }
            return new Jlivepatch(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** The java of the JDK this test runs on: the CI pass's JDK (17 or 25) runs everything. */
    static String java() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\nout:\n" + out + "err:\n" + err;
    }
}
