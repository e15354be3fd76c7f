package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM with jlivepatch exits as one without it: the threads jlivepatch keeps waiting in native code
 * (the control socket's accept, a command's session waiting for its next call, the watched
 * directory's file-watch poller) end during the shutdown.
 * HotSpot's last safepoint waits up to 300 ms for threads in native code, so each one that stayed
 * there made every exit 0.3 s slower. What is checked is not a time but that the threads end,
 * seen from the application's own shutdown hook ({@code agentapp.ExitApp}), and that their closing
 * logs nothing: a closed socket at exit is no failure of the command's channel.
 */
class ExitIT {

    @TempDir
    Path tmp;

    private List<String> run(String agentOptions, String... appArgs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(TestJars.java(), "-javaagent:" + TestJars.AGENT + agentOptions,
                "-Djava.io.tmpdir=" + tmp, "-cp", TestJars.appClasses().toString(), "agentapp.ExitApp"));
        cmd.addAll(List.of(appArgs));
        TestJars.Ran ran = TestJars.runToEnd(cmd, tmp);
        String out = ran.out();
        String stderr = ran.err();
        assertFalse(stderr.contains("SEVERE") || stderr.contains("WARNING") || stderr.contains("control socket"),
                () -> "nothing logged about the threads' end: " + stderr);
        return List.of(out.strip().split("\n"));
    }

    @Test
    void theControlSocketsThreadEndsWhenTheJvmShutsDown() throws Exception {
        List<String> lines = run("");
        assertEquals(List.of("waiting threads: 1", "ended: jlivepatch-control"), lines);
    }

    @Test
    void aCommandSessionWaitingForItsClientEndsWhenTheJvmShutsDown() throws Exception {
        List<String> lines = run("", "session");
        assertEquals("waiting threads: 2", lines.get(0), lines.toString());
        assertTrue(lines.containsAll(List.of("ended: jlivepatch-control", "ended: jlivepatch-control-session")),
                lines.toString());
    }

    @Test
    void theWatchedDirectorysPollerEndsWhenTheJvmShutsDown() throws Exception {
        Path patches = Files.createDirectory(tmp.resolve("patches"));
        List<String> lines = run("=patches=" + patches + ",watch=true", "watch");
        assertEquals("waiting threads: 2", lines.get(0), lines.toString());
        assertTrue(lines.containsAll(List.of("ended: jlivepatch-control", "ended: FileSystemWatchService")),
                lines.toString());
    }
}
