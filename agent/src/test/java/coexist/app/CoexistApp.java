package coexist.app;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.CodeSource;

/**
 * A long-running application for the coexistence tests (JacocoIT, ByteBuddyAgentIT): it answers
 * one line on stdout for each command line on stdin, and ends at "quit" or end of input.
 * <ul>
 *   <li>{@code call <quantity> <name>}: {@code result=<price>|<label>} as {@link Pricing} computes them now</li>
 *   <li>{@code calls}: {@code calls=<n>}, the calls of {@link Pricing#price} the Byte Buddy advice counted</li>
 *   <li>{@code find <class>}: {@code found=<code source>} of that class as this application's class loader
 *       sees it, {@code found=none} when it sees none</li>
 *   <li>{@code dump <file>}: JaCoCo's execution data so far written to the file, and reset:
 *       {@code dumped}</li>
 * </ul>
 */
public final class CoexistApp {

    private CoexistApp() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("ready");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null && !line.equals("quit")) {
            String[] words = line.split(" ");
            System.out.println(answer(words));
            System.out.flush();
        }
    }

    private static String answer(String[] words) throws Exception {
        switch (words[0]) {
            case "call":
                return "result=" + Pricing.price(Integer.parseInt(words[1])) + "|" + Pricing.label(words[2]);
            case "calls":
                return "calls=" + Calls.PRICE.get();
            case "find":
                return "found=" + find(words[1]);
            case "dump":
                Files.write(Paths.get(words[1]), jacocoDump());
                return "dumped";
            default:
                return "unknown command " + words[0];
        }
    }

    private static String find(String name) {
        try {
            CodeSource source = Class.forName(name, false, CoexistApp.class.getClassLoader())
                    .getProtectionDomain().getCodeSource();
            return source == null || source.getLocation() == null ? "no location" : source.getLocation().getPath();
        } catch (ClassNotFoundException e) {
            return "none";
        }
    }

    /**
     * JaCoCo's runtime API ({@code RT.getAgent().getExecutionData(true)}), reached by reflection: its
     * agent JAR is on the system class path of a JVM started with it, and nowhere else.
     */
    private static byte[] jacocoDump() throws Exception {
        Object agent = Class.forName("org.jacoco.agent.rt.RT").getMethod("getAgent").invoke(null);
        return (byte[]) agent.getClass().getMethod("getExecutionData", boolean.class).invoke(agent, true);
    }
}
