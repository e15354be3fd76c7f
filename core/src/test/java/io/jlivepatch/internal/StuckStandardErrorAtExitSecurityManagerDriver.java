package io.jlivepatch.internal;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.AccessControlContext;
import java.security.AccessController;
import java.security.Permissions;
import java.security.PrivilegedAction;
import java.security.ProtectionDomain;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@link StuckStandardErrorAtExitTest}'s JVM under a SecurityManager: arg is where to write the policy (the class
 * path gets every permission). A line at the exit is logged by a thread of the system thread group (as the JDK's RMI
 * and JMX threads are) in a context of no permissions (an application's code on its stack, a JMX client's), to a
 * standard error that takes nothing: it must still return, its printer made with jlivepatch's permissions. Prints
 * {@code RESULT ok}; exits 1 otherwise (the logging call still waiting after 30 s).
 */
public final class StuckStandardErrorAtExitSecurityManagerDriver {

    private StuckStandardErrorAtExitSecurityManagerDriver() {
    }

    @SuppressWarnings("removal") // the SecurityManager under test
    public static void main(String[] args) throws Exception {
        io.jlivepatch.jar.SecurityManagerDriverAccess.grantTheClassPathAlone(Path.of(args[0]));
        PrintStream out = System.out;
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                try {
                    new CountDownLatch(1).await(); // a full pipe whose reader never comes back
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
            }
        }, true, StandardCharsets.UTF_8));
        System.setSecurityManager(new SecurityManager());
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        AccessControlContext none = new AccessControlContext(new ProtectionDomain[] {
            new ProtectionDomain(null, new Permissions())});
        CountDownLatch returned = new CountDownLatch(1);
        Thread caller = new Thread(root, () -> AccessController.doPrivileged((PrivilegedAction<Void>) () -> {
            Log.atExit().log(System.Logger.Level.WARNING, "audit: a line at exit");
            returned.countDown();
            return null;
        }, none), "system-group caller");
        caller.setDaemon(true);
        caller.start();
        if (!returned.await(30, TimeUnit.SECONDS)) {
            out.println("the line at exit waited for a standard error that takes nothing");
            out.flush();
            Runtime.getRuntime().halt(1);
        }
        out.println("RESULT ok");
        out.flush();
        Runtime.getRuntime().halt(0); // the printer thread still waits on the stream
    }
}
