package agentapp;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Paths;

/**
 * An application whose {@code java.util.logging} manager only its own class loader can load: it
 * makes that loader (over the directory in {@code args[0]}) its thread's context class loader, then
 * logs, as a fat JAR's launcher or an application server does. Prints the manager
 * {@code java.util.logging} got and what {@link Greeter#greet} answers. With {@code wait} after the
 * directory, it first prints {@code ready} and waits for a line on standard input (a patch loaded
 * meanwhile, by an attach, before the application's first log line).
 */
public final class LateLoggingApp {

    private LateLoggingApp() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 1 && args[1].equals("wait")) {
            System.out.println("ready");
            System.out.flush();
            new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
        }
        URLClassLoader own = new URLClassLoader(new URL[] {Paths.get(args[0]).toUri().toURL()},
                LateLoggingApp.class.getClassLoader());
        Thread.currentThread().setContextClassLoader(own);
        java.util.logging.Logger.getLogger("agentapp").info("the application logs");
        System.out.println("manager=" + java.util.logging.LogManager.getLogManager().getClass().getName());
        System.out.println("greet=" + new Greeter().greet(" a "));
    }
}
