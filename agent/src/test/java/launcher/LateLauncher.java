package launcher;

/**
 * {@link Launcher} once a line arrives on standard input, after printing {@code waiting}: time for a
 * test to attach jlivepatch while no class loader that can load the application's classes exists.
 */
public final class LateLauncher {

    private LateLauncher() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("waiting");
        int c;
        do {
            c = System.in.read(); // unbuffered: what follows the line is the application's to read
        } while (c != '\n' && c != -1);
        Launcher.main(args);
    }
}
