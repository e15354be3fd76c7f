package io.jlivepatch;

import io.jlivepatch.control.ObjectNames;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import java.lang.management.ManagementFactory;

/** The test JVM's jlivepatch MBeans, called as a JMX client calls them. */
final class Mbeans {

    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    private Mbeans() {
    }

    /** The stack's MBean, once the agent's background thread has registered it. */
    static ObjectName livepatch() throws Exception {
        TestSupport.livepatch();
        ObjectName name = new ObjectName(ObjectNames.LIVEPATCH);
        for (int i = 0; i < 1000 && !SERVER.isRegistered(name); i++) {
            Thread.sleep(10);
        }
        return name;
    }

    /** {@code load(path, enable)}: the patch's name, or the refusal the client sees. */
    static String load(String path, boolean enable) throws Exception {
        return (String) invoke(livepatch(), "load", new Object[] {path, enable},
                new String[] {String.class.getName(), boolean.class.getName()});
    }

    static Object invoke(ObjectName name, String operation, Object[] args, String[] signature) throws JMException {
        try {
            return SERVER.invoke(name, operation, args, signature);
        } catch (RuntimeMBeanException e) {
            throw e.getTargetException(); // what the MBean threw, as a remote client gets it
        }
    }

    static void setEnabled(String patch, boolean enabled) throws JMException {
        try {
            SERVER.setAttribute(ObjectNames.patch(patch), new javax.management.Attribute("Enabled", enabled));
        } catch (RuntimeMBeanException e) {
            throw e.getTargetException();
        }
    }

    static String statusText() throws Exception {
        return (String) invoke(livepatch(), "statusText", null, null);
    }

    static String[] log() throws Exception {
        return (String[]) SERVER.getAttribute(livepatch(), "Log");
    }

    static boolean isRegistered(String patch) {
        return SERVER.isRegistered(ObjectNames.patch(patch));
    }
}
