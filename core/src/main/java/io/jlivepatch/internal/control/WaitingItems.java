package io.jlivepatch.internal.control;

import io.jlivepatch.control.WaitingThread;

import javax.management.Descriptor;
import javax.management.ImmutableDescriptor;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.openmbean.ArrayType;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.CompositeDataSupport;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.OpenMBeanAttributeInfoSupport;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;
import java.util.HashMap;
import java.util.Map;

/**
 * The patch MBean's {@code Waiting} as a JMX client reads it: {@link WaitingThread}s with the items
 * {@code thread}, {@code threadId}, {@code method}, {@code inside} (README), whatever the JVM's default
 * locale. The JDK's MXBean mapping names an item by lower-casing its getter's first letter with the
 * default locale ({@code DefaultMXBeanMappingFactory.decapitalize}, JDK 17 to 25): under a Turkish or
 * Azeri one {@code getInside} gave {@code ınside} (a dotless i), which no client asking for
 * {@code inside} found, and the JDK keeps the type it made at the first registration of a patch MBean
 * for as long as one is registered. So this type is spelt out here, as the JDK would make it under any
 * other locale (type and item descriptions the class's and the items' names, a {@code long} a
 * {@code Long}), and the patch MBean answers {@code Waiting}, and describes it in its MBeanInfo, with it.
 */
final class WaitingItems {

    /** The patch MBean's attribute of {@link io.jlivepatch.control.PatchMBean#getWaiting}. */
    static final String ATTRIBUTE = "Waiting";

    private static final String[] NAMES = {"inside", "method", "thread", "threadId"};
    private static final CompositeType TYPE;
    private static final ArrayType<CompositeData[]> ARRAY;

    static {
        try {
            TYPE = new CompositeType(WaitingThread.class.getName(), WaitingThread.class.getName(), NAMES, NAMES,
                    new OpenType<?>[] {SimpleType.STRING, SimpleType.STRING, SimpleType.STRING, SimpleType.LONG});
            ARRAY = ArrayType.getArrayType(TYPE);
        } catch (OpenDataException e) {
            throw new ExceptionInInitializerError(e); // constants: a mistake here fails every test of the MBean
        }
    }

    private WaitingItems() {
    }

    /** {@code waiting} as open data of this type; nulls stay null, as the JDK's mapping leaves them. */
    static CompositeData[] open(WaitingThread[] waiting) throws OpenDataException {
        if (waiting == null) {
            return null;
        }
        CompositeData[] out = new CompositeData[waiting.length];
        for (int i = 0; i < out.length; i++) {
            WaitingThread w = waiting[i];
            out[i] = w == null ? null : new CompositeDataSupport(TYPE, NAMES,
                    new Object[] {w.getInside(), w.getMethod(), w.getThread(), w.getThreadId()});
        }
        return out;
    }

    /**
     * {@code info} (the JDK's, of a patch MBean) with {@link #ATTRIBUTE}'s open type this one. Its descriptor
     * says {@code immutableInfo=true} as the JDK's does for an MXBean whose info it builds alone: StandardMBean
     * says false for a subclass that overrides {@code getMBeanInfo}, and the caller answers the same info each time.
     */
    static MBeanInfo withItemNames(MBeanInfo info) {
        MBeanAttributeInfo[] attributes = info.getAttributes().clone();
        for (int i = 0; i < attributes.length; i++) {
            if (ATTRIBUTE.equals(attributes[i].getName()) && attributes[i] instanceof OpenMBeanAttributeInfoSupport) {
                MBeanAttributeInfo a = attributes[i];
                attributes[i] = new OpenMBeanAttributeInfoSupport(a.getName(), a.getDescription(), ARRAY, a.isReadable(),
                        a.isWritable(), a.isIs(), with(a.getDescriptor(), "openType", ARRAY));
            }
        }
        return new MBeanInfo(info.getClassName(), info.getDescription(), attributes, info.getConstructors(),
                info.getOperations(), info.getNotifications(), with(info.getDescriptor(), "immutableInfo", "true"));
    }

    private static Descriptor with(Descriptor d, String field, Object value) {
        Map<String, Object> fields = new HashMap<>();
        for (String name : d.getFieldNames()) {
            fields.put(name, d.getFieldValue(name));
        }
        fields.put(field, value);
        return new ImmutableDescriptor(fields);
    }
}
