package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The stand-in agent ({@link StandInAgent}) a test of the command runs, one at a time, closed after the test: the
 * command connects to the socket of the one started last ({@link TargetJvm#standInSocketForTests}), and one left
 * open would hold its server and a held call's thread past the test. A test class registers it with
 * {@code @RegisterExtension}.
 */
final class StandIns implements AfterEachCallback {

    private StandInAgent running;

    /** Closes the stand-in started before, if still open, and serves {@code agent} on a socket in {@code dir}. */
    StandInAgent start(StandInAgent agent, Path dir) throws IOException {
        release();
        running = agent;
        agent.start(dir);
        return agent;
    }

    /** Closes the stand-in started last, if still open. */
    void release() throws IOException {
        if (running != null) {
            running.close();
            running = null;
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        release();
    }
}
