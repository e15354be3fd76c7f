package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A start-up patch waiting for the loader of its classes while many class loaders that cannot see
 * them appear first (a Spring Boot start made 33 refusals, each a WARNING and an audit entry): they
 * make no retry and no refusal; the launcher's loader, which can read the target, has it loaded.
 */
class WaitingLoaderIT {

    private static final int UNRELATED = 12;

    @TempDir
    Path dir;

    private static void copyClass(Path to, String className) throws IOException {
        String entry = className.replace('.', '/') + ".class";
        Path target = to.resolve(entry);
        Files.createDirectories(target.getParent());
        Files.copy(TestJars.TEST_CLASSES.resolve(entry), target);
    }

    @Test
    void unrelatedLoadersMakeNoRefusalAndTheLoaderOfTheTargetHasThePatchLoaded() throws Exception {
        Path launcher = Files.createDirectories(dir.resolve("launcher"));
        copyClass(launcher, "launcher.Launcher");
        copyClass(launcher, "launcher.ManyLoadersLauncher");
        Path app = Files.createDirectories(dir.resolve("app"));
        copyClass(app, "fatapp.App");
        copyClass(app, "fatapp.Pricing");
        Path patches = Files.createDirectories(dir.resolve("patches"));
        TestJars.patchJar(patches, "10-fix-fat.jar", Map.of("Livepatch-Name", "fix-fat",
                "Livepatch-Class", "fatapp.fix.PricingFix"), "fatapp.fix.PricingFix");
        Path log = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(TestJars.java(), "-javaagent:" + TestJars.AGENT + "=patches=" + patches,
                "-cp", launcher.toString(), "launcher.ManyLoadersLauncher", app.toString(), launcher.toString(),
                String.valueOf(UNRELATED))
                .redirectError(log.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8)) {
            assertEquals("ready", out.readLine());
            String answer = "";
            // The patch goes in on jlivepatch's thread once the launcher's loader defines a class: a
            // minute at most (a hang detector; it takes milliseconds).
            for (int i = 0; i < 600 && !answer.equals("quote=70"); i++) {
                in.println(7);
                answer = out.readLine();
                if (!answer.equals("quote=70")) {
                    Thread.sleep(100);
                }
            }
            assertEquals("quote=70", answer, Files.readString(log));
            Cli audit = Cli.run("status", p.pid(), "--log");
            List<String> refused = audit.out().lines().filter(l -> l.contains(" load ") && l.contains("refused"))
                    .toList();
            assertEquals(1, refused.size(), "only the refusal at start-up is audited: " + audit);
            assertTrue(audit.out().lines().anyMatch(l -> l.contains(" load fix-fat by startup: ok")), audit.toString());
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String stderr = Files.readString(log);
        assertTrue(stderr.contains("unrelated loaders made: " + UNRELATED), stderr);
        List<String> warnings = stderr.lines().filter(l -> l.contains("load refused")).toList();
        assertEquals(1, warnings.size(), "one WARNING, at start-up: " + stderr);
        assertTrue(stderr.contains("'fix-fat': loaded from " + patches.resolve("10-fix-fat.jar")
                + " once a class loader could load its classes"), stderr);
    }
}
