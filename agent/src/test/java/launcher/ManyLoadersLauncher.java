package launcher;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;

/**
 * {@link Launcher} after what a Spring Boot start does before the application's classes load: class
 * loaders that cannot see them (each defines a class of its own) appear first, {@code args[2]} of
 * them, over the directory {@code args[1]}, which holds {@code launcher.Launcher}.
 */
public final class ManyLoadersLauncher {

    private ManyLoadersLauncher() {
    }

    public static void main(String[] args) throws Exception {
        URL other = Path.of(args[1]).toUri().toURL();
        for (int i = 0; i < Integer.parseInt(args[2]); i++) {
            // Kept open on purpose: a loader that stays, as a framework's would.
            @SuppressWarnings("resource")
            URLClassLoader unrelated = new URLClassLoader("unrelated-" + i, new URL[] {other},
                    ClassLoader.getPlatformClassLoader());
            Class.forName("launcher.Launcher", false, unrelated);
        }
        System.err.println("unrelated loaders made: " + args[2]);
        Launcher.main(new String[] {args[0]});
    }
}
