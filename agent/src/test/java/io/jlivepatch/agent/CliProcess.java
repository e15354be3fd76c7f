package io.jlivepatch.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One jlivepatch command in a JVM of its own ({@code java -jar jlivepatch-agent.jar ...}), as an operator runs it. */
record CliProcess(int exitCode, String out, String err) {

    /** Longer than any command may take: a hang detector, not a measure. */
    static final long HANG_SECONDS = 120;

    static CliProcess run(Object... args) throws IOException, InterruptedException {
        return launched(List.of("-jar", TestJars.AGENT.toString()), args);
    }

    /**
     * As {@link #run}, started as {@code java <launch> <args>}: JVM options before {@code -jar}, or the
     * command run from another class path ({@code -cp <dir> io.jlivepatch.agent.cli.Main}).
     */
    static CliProcess launched(List<String> launch, Object... args) throws IOException, InterruptedException {
        return launchedOn(TestJars.java(), launch, args);
    }

    /** As {@link #launched}, on another JDK's {@code java}. */
    static CliProcess launchedOn(String java, List<String> launch, Object... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(launch);
        int first = cmd.size();
        for (Object a : args) {
            cmd.add(String.valueOf(a));
        }
        Path out = Files.createTempFile("jlivepatch-cli", ".out");
        Path err = Files.createTempFile("jlivepatch-cli", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(HANG_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("jlivepatch " + String.join(" ", cmd.subList(first, cmd.size())) + " still runs after "
                        + HANG_SECONDS + " s: it hangs");
            }
            return new CliProcess(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\nout:\n" + out + "err:\n" + err;
    }
}
