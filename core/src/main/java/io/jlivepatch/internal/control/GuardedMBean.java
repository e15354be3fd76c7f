package io.jlivepatch.internal.control;

import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.patch.RecursionGuard;

import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.InvalidAttributeValueException;
import javax.management.MBeanException;
import javax.management.NotCompliantMBeanException;
import javax.management.ReflectionException;
import javax.management.StandardMBean;

/**
 * An MXBean whose every attribute access and operation runs marked as jlivepatch's own code
 * (RecursionGuard): the JMX threads that serve {@code jlivepatch} and JConsole never run a patch's
 * replacement, and a patched JDK method the MBean's code uses cannot loop back into jlivepatch. Every
 * operation through it is the {@code jmx} requester's.
 */
class GuardedMBean extends StandardMBean {

    <T> GuardedMBean(T implementation, Class<T> mbeanInterface) throws NotCompliantMBeanException {
        super(implementation, mbeanInterface, true); // MXBeans: clients need no class of ours
    }

    @Override
    public Object getAttribute(String attribute) throws AttributeNotFoundException, MBeanException, ReflectionException {
        // A read changes nothing: before the first patch it needs no mark, and must not make a JVM that
        // is only watched (a metrics exporter scraping) install the hooks (RecursionGuard.enterIfActive).
        int mark = RecursionGuard.enterIfActive();
        String before = Requester.enter(Requester.JMX);
        try {
            return super.getAttribute(attribute);
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }

    @Override
    public void setAttribute(Attribute attribute) throws AttributeNotFoundException, InvalidAttributeValueException,
            MBeanException, ReflectionException {
        int mark = RecursionGuard.enter();
        String before = Requester.enter(Requester.JMX);
        try {
            super.setAttribute(attribute);
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }

    @Override
    public AttributeList getAttributes(String[] attributes) {
        int mark = RecursionGuard.enterIfActive(); // a read: as getAttribute
        String before = Requester.enter(Requester.JMX);
        try {
            return super.getAttributes(attributes);
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }

    @Override
    public AttributeList setAttributes(AttributeList attributes) {
        int mark = RecursionGuard.enter();
        String before = Requester.enter(Requester.JMX);
        try {
            return super.setAttributes(attributes);
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }

    @Override
    public Object invoke(String actionName, Object[] params, String[] signature) throws MBeanException, ReflectionException {
        int mark = RecursionGuard.enter();
        String before = Requester.enter(Requester.JMX);
        try {
            return super.invoke(actionName, params, signature);
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }
}
