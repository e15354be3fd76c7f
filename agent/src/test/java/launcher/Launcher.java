package launcher;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;

/**
 * What Spring Boot's JarLauncher does, reduced: the application's classes are not on the class path
 * but in a directory only a class loader made here, after premain, can load ({@code BOOT-INF/classes}).
 */
public final class Launcher {

    private Launcher() {
    }

    public static void main(String[] args) throws Exception {
        URLClassLoader launched = new URLClassLoader("launched", new URL[] {Path.of(args[0]).toUri().toURL()},
                ClassLoader.getPlatformClassLoader());
        Class.forName("fatapp.App", true, launched).getMethod("main", String[].class)
                .invoke(null, (Object) new String[0]);
    }
}
