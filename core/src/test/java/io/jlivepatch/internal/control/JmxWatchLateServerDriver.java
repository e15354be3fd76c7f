package io.jlivepatch.internal.control;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import java.lang.management.ManagementFactory;
import java.lang.management.PlatformManagedObject;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Run in a fresh JVM by {@link JmxWatchLateServerTest}: before jlivepatch's JMX watch starts, the
 * application made a private MBean server of its own ({@code MBeanServerFactory.newMBeanServer()},
 * which {@code findMBeanServer} does not list) and registered the JVM's MXBeans in it, as a metrics
 * library or a test harness does; only then is the platform MBean server created. That creation
 * defines no {@code com.sun.jmx} class left (JDK 17 and 25, {@code -Xlog:class+load}), the watch's
 * signal before: it never looked again, and jlivepatch's MBeans never appeared. The action must run.
 * Prints {@code RESULT ok}.
 */
public final class JmxWatchLateServerDriver {

    private JmxWatchLateServerDriver() {
    }

    public static void main(String[] args) throws Exception {
        MBeanServer own = MBeanServerFactory.newMBeanServer();
        for (Class<? extends PlatformManagedObject> type : ManagementFactory.getPlatformManagementInterfaces()) {
            for (PlatformManagedObject mxbean : ManagementFactory.getPlatformMXBeans(type)) {
                if (!own.isRegistered(mxbean.getObjectName())) {
                    own.registerMBean(mxbean, mxbean.getObjectName());
                }
            }
        }
        check(MBeanServerFactory.findMBeanServer(null).isEmpty(), "no server the watch can find yet");

        CountDownLatch action = new CountDownLatch(1);
        JmxWatch.whenJmxIsUp(net.bytebuddy.agent.ByteBuddyAgent.install(), action::countDown);
        // The look at install has started its thread (whenJmxIsUp returns after its start): once it
        // has ended, found nothing, the server is created; else that look could find it by chance.
        for (Thread looking : Thread.getAllStackTraces().keySet()) {
            if (looking.getName().equals("jlivepatch-jmx")) {
                looking.join();
            }
        }
        check(action.getCount() == 1, "no action before the platform MBean server exists");
        ManagementFactory.getPlatformMBeanServer();
        // Generous: the look runs right after the server's creation; the verdict is whether it ran at all.
        check(action.await(30, TimeUnit.SECONDS), "the action ran once the platform MBean server was created");
        System.out.println("RESULT ok");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
