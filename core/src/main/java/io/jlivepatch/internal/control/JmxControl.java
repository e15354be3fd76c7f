package io.jlivepatch.internal.control;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.Text;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.LivepatchMBean;
import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.control.PatchMBean;
import io.jlivepatch.control.WaitingThread;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.RegistryObserver;
import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.patch.RecursionGuard;

import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.InvalidAttributeValueException;
import javax.management.JMException;
import javax.management.MBeanException;
import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.NotCompliantMBeanException;
import javax.management.ObjectName;
import javax.management.ReflectionException;
import javax.management.openmbean.OpenDataException;
import java.lang.management.ManagementFactory;

/**
 * The sysfs of jlivepatch: {@code io.jlivepatch:type=Livepatch} and one
 * {@code io.jlivepatch:type=Patch,name=<p>} per registered patch, in the platform MBean server,
 * where JConsole and {@code jlivepatch} (over the JVM's local connector) find them.
 */
public final class JmxControl implements RegistryObserver {

    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private final PatchRegistry registry;

    private JmxControl(PatchRegistry registry) {
        this.registry = registry;
    }

    /** Registers the MBeans of {@code registry}; JMX trouble is logged, never fatal to patching. */
    public static void install(PatchRegistry registry) {
        JmxControl control = new JmxControl(registry);
        try {
            control.register(new GuardedMBean(new LivepatchControl(registry, true), LivepatchMBean.class, registry,
                    "(jlivepatch)"),
                    ObjectNames.livepatch());
            // Under the registry's lock, so that no patch registers between the catch-up and the
            // observer taking over (pairs with the observer calls in PatchRegistry).
            registry.observeFromNowOn(control);
        } catch (JMException | RuntimeException e) {
            Log.get().log(System.Logger.Level.ERROR, "the jlivepatch MBeans are not available", e);
        }
    }

    @Override
    public void registered(PatchHandle patch) {
        try {
            register(new PatchBean(new PatchControl(registry, patch), registry, patch.name()),
                    ObjectNames.patch(patch.name()));
        } catch (JMException | RuntimeException e) {
            Log.get().log(System.Logger.Level.ERROR, "no MBean for patch '" + patch.name() + "'", e);
        }
    }

    @Override
    public void unregistered(PatchHandle patch) {
        try {
            server.unregisterMBean(ObjectNames.patch(patch.name()));
        } catch (InstanceNotFoundException ignored) {
            // never registered (JMX failed earlier): nothing to remove
        } catch (JMException | RuntimeException e) {
            Log.get().log(System.Logger.Level.ERROR, "the MBean of patch '" + patch.name() + "' stays registered", e);
        }
    }

    private void register(Object bean, ObjectName name) throws JMException {
        try {
            server.registerMBean(bean, name);
        } catch (InstanceAlreadyExistsException stale) {
            // left by an earlier install in this JVM (another class loader): replace it
            server.unregisterMBean(name);
            server.registerMBean(bean, name);
        }
    }

    /**
     * Refuses a non-boolean {@code Enabled} with a message that says what to write instead, on record; answers
     * {@code Waiting} with the item names README gives whatever the default locale ({@link WaitingItems}).
     */
    private static final class PatchBean extends GuardedMBean {
        private final PatchRegistry registry;
        private final String name;
        /** The MBeanInfo with WaitingItems' type, made once: racing first reads make equal ones. */
        private volatile MBeanInfo info;

        PatchBean(PatchMBean impl, PatchRegistry registry, String name) throws NotCompliantMBeanException {
            super(impl, PatchMBean.class, registry, name);
            this.registry = registry;
            this.name = name;
        }

        @Override
        public void setAttribute(Attribute attribute) throws AttributeNotFoundException,
                InvalidAttributeValueException, MBeanException, ReflectionException {
            if (notABoolean(attribute)) {
                throw new InvalidAttributeValueException(refuse(attribute));
            }
            super.setAttribute(attribute);
        }

        /**
         * The same refusal on record for a write through {@code setAttributes}, which the JMX support
         * answers without calling {@link #setAttribute}: the refused attribute is left out of the list
         * returned, as JMX leaves out every attribute it could not set.
         */
        @Override
        public AttributeList setAttributes(AttributeList attributes) {
            AttributeList rest;
            requireRoom(); // as GuardedMBean's accesses: before the mark
            int mark = RecursionGuard.enter(); // jlivepatch's code on a JMX thread, as GuardedMBean runs it
            try {
                rest = new AttributeList();
                for (Attribute a : attributes.asList()) {
                    if (notABoolean(a)) {
                        refuse(a);
                    } else {
                        rest.add(a);
                    }
                }
            } finally {
                RecursionGuard.exit(mark);
            }
            return super.setAttributes(rest);
        }

        @Override
        public MBeanInfo getMBeanInfo() {
            MBeanInfo made = info;
            if (made == null) {
                made = WaitingItems.withItemNames(super.getMBeanInfo());
                info = made;
            }
            return made;
        }

        @Override
        Object read(String attribute) throws AttributeNotFoundException, MBeanException, ReflectionException {
            if (!WaitingItems.ATTRIBUTE.equals(attribute)) {
                return super.read(attribute);
            }
            WaitingThread[] waiting = ((PatchMBean) getImplementation()).getWaiting();
            try {
                return WaitingItems.open(waiting);
            } catch (OpenDataException e) { // as the JDK's MXBean support answers a value it cannot map
                throw new MBeanException(e, "the threads holding patch '" + name + "' cannot be written as open data: "
                        + e.getMessage());
            }
        }

        /** Each attribute as {@link #read} answers it; one that cannot be read is left out, as the JDK's support does. */
        @Override
        AttributeList readAll(String[] attributes) {
            AttributeList out = new AttributeList(attributes.length);
            for (String a : attributes) {
                try {
                    out.add(new Attribute(a, read(a)));
                } catch (Exception e) {
                    // not in the list returned, as JMX specifies for an attribute it could not read
                }
            }
            return out;
        }

        private static boolean notABoolean(Attribute attribute) {
            return "Enabled".equals(attribute.getName()) && !(attribute.getValue() instanceof Boolean);
        }

        /** Records the refusal of a non-boolean {@code Enabled}; returns why, for the client. */
        private String refuse(Attribute attribute) {
            Object v = attribute.getValue();
            String why = "Enabled takes true or false (a boolean), not '" + Text.clean(String.valueOf(v)) + "'"
                    + (v == null ? "" : " (a " + v.getClass().getName() + ")")
                    + ": write true to enable the patch, false to disable it";
            // A refused change is on record, as the control socket's refusal of the same call is
            // (ControlSession.onRecord: operation 'call', the client's text only in the outcome);
            // as the jmx requester and marked, as GuardedMBean runs what it lets through.
            requireRoom(); // as GuardedMBean's accesses: before the mark and the requester
            int mark = RecursionGuard.enter();
            String before = Requester.enter(JmxCaller.requester());
            try {
                registry.refusedOutside("call", name, new PatchException(PatchException.Reason.INVALID_ARGUMENT,
                        name, why));
            } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
                // the refusal stands and is answered; only its record is missing
            } finally {
                Requester.restore(before);
                RecursionGuard.exit(mark);
            }
            return why;
        }
    }
}
