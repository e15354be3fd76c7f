package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The main class {@code list} shows for a JVM only {@code /proc} reveals: read from its command line
 * and the argument files the launcher read ({@code java @file}), as the JDK's list would show it.
 * Before, a JVM started with {@code java @app.args} showed {@code (unknown)}.
 */
class UnlistedJvmsTest {

    private static String display(Map<String, String> files, String... argv) {
        return UnlistedJvms.displayName(List.of(argv), files::get);
    }

    @Test
    void theMainClassInAnArgumentFileIsShown() {
        Map<String, String> files = Map.of("app.args", "# the service\n-Xmx64m -cp 'lib/a b.jar'\n"
                + "com.acme.Main --port 8080\n");
        assertEquals("com.acme.Main --port 8080 --verbose", display(files, "java", "@app.args", "--verbose"));
        assertEquals("com.acme.Main --port 8080", display(Map.of("opts", "-Xmx64m -cp lib"), "java", "@opts",
                "com.acme.Main", "--port", "8080"));
        assertEquals("app.jar x", display(Map.of("opts", "-jar app.jar"), "java", "@opts", "x"));
        // a value's option in one place, its value in the next
        assertEquals("com.acme.Main", display(Map.of("opts", "-cp"), "java", "@opts", "com.acme.Other.jar",
                "com.acme.Main"));
    }

    @Test
    void anArgumentFileThatCannotBeReadIsNamedNotGuessed() {
        assertEquals("(in @app.args)", display(Map.of(), "java", "-Xmx64m", "@app.args"));
        assertEquals("(in @conf/app.args)", display(Map.of(), "java", "@conf/app.args", "--verbose"));
    }

    @Test
    void whatTheLauncherDoesNotExpandIsNotRead() {
        // after the main class, an @ is the application's; in a file, an @ names no further file
        assertEquals("com.acme.Main @data.txt", display(Map.of(), "java", "com.acme.Main", "@data.txt"));
        assertEquals("@other", display(Map.of("opts", "-Xmx64m @other"), "java", "@opts"));
        assertEquals("@app.args", display(Map.of(), "java", "--disable-@files", "@app.args"));
        assertEquals("", display(Map.of("opts", "-Xmx64m"), "java", "@opts"));
        assertEquals("com.acme.Main", display(Map.of("lib", "a.jar:b.jar"), "java", "-cp", "@lib", "com.acme.Main"));
    }
}
