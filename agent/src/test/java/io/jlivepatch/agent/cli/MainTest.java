package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {

    /** The bare command names every command, watch too, from picocli's list of subcommands. */
    @Test
    void theBareCommandNamesEveryCommand() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err));
        assertEquals(Main.USAGE, code, err.toString());
        assertTrue(err.toString().contains("name a command: list, load, status, enable, disable, unregister, unload,"
                + " force, build, inspect, install, uninstall or watch (jlivepatch --help)"), err.toString());
    }
}
