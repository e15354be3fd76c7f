package io.jlivepatch.build;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a corpus case's {@code com.acme.<case>.Driver} on each of its inputs and records what each
 * gives: the result, or the exception's class and message. Used in the test JVM (the old build,
 * patched or not) and as the main class of a fresh JVM that runs the new builds; JDK only.
 */
public final class DriverRunner {

    private DriverRunner() {
    }

    /** One line per input: {@code input => ok: result} or {@code input => threw class: message}. */
    static List<String> run(ClassLoader app, String caseName) throws ReflectiveOperationException {
        Class<?> driver = Class.forName("com.acme." + caseName + ".Driver", true, app);
        Method inputs = driver.getMethod("inputs");
        Method run = driver.getMethod("run", String.class);
        List<String> out = new ArrayList<>();
        for (String input : (String[]) inputs.invoke(null)) {
            String outcome;
            try {
                outcome = "ok: " + run.invoke(null, input);
            } catch (InvocationTargetException e) {
                Throwable t = e.getCause();
                outcome = "threw " + t.getClass().getName() + ": " + t.getMessage();
            }
            out.add(escape("'" + input + "' => " + outcome));
        }
        return out;
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
    }

    /** Runs {@code cases} ({@code name=classDirectory}) in a fresh JVM of this JDK, each in its own loader. */
    static Map<String, List<String>> runInFreshJvm(Map<String, Path> cases) throws IOException, InterruptedException {
        Path self;
        try {
            self = Paths.get(DriverRunner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", self.toString(), DriverRunner.class.getName()));
        cases.forEach((name, dir) -> cmd.add(name + "=" + dir));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Map<String, List<String>> results = new LinkedHashMap<>();
        cases.keySet().forEach(k -> results.put(k, new ArrayList<>()));
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                int tab = line.indexOf('\t');
                results.get(line.substring(0, tab)).add(line.substring(tab + 1));
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("the fresh JVM running the new builds failed: " + cmd);
        }
        return results;
    }

    /** {@code name=classDirectory ...}: prints {@code name<TAB>line} for every input of every case. */
    public static void main(String[] args) throws Exception {
        for (String a : args) {
            int eq = a.indexOf('=');
            String name = a.substring(0, eq);
            URL[] urls = {Paths.get(a.substring(eq + 1)).toUri().toURL()};
            try (URLClassLoader app = new URLClassLoader("new-" + name, urls, ClassLoader.getPlatformClassLoader())) {
                for (String line : run(app, name)) {
                    System.out.println(name + "\t" + line);
                }
            }
        }
        System.out.flush();
    }
}
