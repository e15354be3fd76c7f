package io.jlivepatch.internal;

/**
 * A thread of jlivepatch's own that lives as long as the JVM (the recursion guard's relaxer, the
 * transition worker, the link-failure audit, the control socket, the audit file's writer, the
 * watched directory): daemon, and inheriting nothing from the thread that
 * makes it, which may be an application's (a webapp's first patch, a JMX connection's): no
 * inheritable thread-locals and no context class loader, either of which it would keep reachable (a
 * redeployed webapp's) for the JVM's life. On JDK 17 a thread also keeps the access-control context of
 * the thread that constructs it, with the class loader of every protection domain on that stack: so
 * make one at installation, on jlivepatch's side, and start it when it is needed.
 */
public class OwnThread extends Thread {

    /** A thread that runs {@code task}; subclasses pass {@code null} and override {@link #run}. */
    public OwnThread(Runnable task, String name) {
        super(null, task, name, 0, false);
        setDaemon(true);
        setContextClassLoader(null);
    }
}
