package io.jlivepatch;

import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.control.PatchMBean;
import io.jlivepatch.control.WaitingThread;
import transapp.Codec;
import transapp.Gate;

import javax.management.JMX;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import javax.management.openmbean.ArrayType;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenMBeanAttributeInfo;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.TabularType;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Run in a fresh JVM whose default locale is the one its first argument names ({@code -Duser.language},
 * {@code -Duser.country}) by {@link WaitingItemNamesTest}: jlivepatch's MBeans registered there first, a
 * generic JMX client (no class of jlivepatch's) reads a patch's {@code Waiting} by the item names README gives,
 * and every composite type the MBeans describe names its items as its getters do in the root locale. Prints
 * {@code RESULT ok}, or {@code FAILED: ...} and exits 1.
 */
public final class WaitingItemNamesDriver {

    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();
    private static final Duration WAIT = Duration.ofSeconds(30);

    private WaitingItemNamesDriver() {
    }

    public static String encode(String s) {
        return "new-enc(" + s + ")";
    }

    public static void main(String[] args) throws Exception {
        check(Locale.getDefault().getLanguage().equals(args[0]), "the JVM's default locale is " + Locale.getDefault());
        Thread held = new Thread(() -> Codec.encode("x"), "held-in-encode");
        Gate.arm(held);
        held.start();
        Gate.awaitEntered(held);
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("item-names")
                .replace(Codec.class.getMethod("encode", String.class),
                        WaitingItemNamesDriver.class.getMethod("encode", String.class)).build());
        ObjectName patch = ObjectNames.patch("item-names");
        awaitRegistered(patch); // the agent's background thread registers the MBeans
        h.enable();
        check(h.inTransition(), "a thread is inside the old encode");

        CompositeData[] waiting = (CompositeData[]) SERVER.getAttribute(patch, "Waiting");
        check(waiting.length == 1, "one thread holds the transition: " + List.of(waiting));
        itemsAsDocumented(waiting[0], held);
        List<javax.management.Attribute> read = SERVER.getAttributes(patch, new String[] {"Name", "Waiting"}).asList();
        check(read.size() == 2 && read.get(0).getValue().equals("item-names"), "getAttributes reads both: " + read);
        itemsAsDocumented(((CompositeData[]) read.get(1).getValue())[0], held);

        MBeanInfo info = SERVER.getMBeanInfo(patch);
        for (MBeanAttributeInfo a : info.getAttributes()) {
            if (a.getName().equals("Waiting")) {
                OpenType<?> type = ((OpenMBeanAttributeInfo) a).getOpenType();
                check(((ArrayType<?>) type).getElementOpenType().equals(waiting[0].getCompositeType()),
                        "MBeanInfo's Waiting is the type of its values: " + type);
                check(type.equals(a.getDescriptor().getFieldValue("openType")), "and its descriptor's: "
                        + a.getDescriptor());
            }
        }
        check("true".equals(info.getDescriptor().getFieldValue("immutableInfo")), "the info never changes, as before: "
                + info.getDescriptor());
        for (ObjectName name : List.of(ObjectNames.livepatch(), patch)) {
            everyCompositeTypeNamedAsItsGetters(name);
        }
        if (args[0].equals("en")) {
            // Where the JDK's own mapping names the items right, the type is the one it makes, so that a client's
            // MXBean proxy (which checks @ConstructorProperties against its own names) rebuilds a WaitingThread.
            OpenType<?> jdks = null;
            for (MBeanAttributeInfo a : new StandardMBean(new WaitingOnly(), WaitingOnlyMXBean.class, true)
                    .getMBeanInfo().getAttributes()) {
                jdks = ((OpenMBeanAttributeInfo) a).getOpenType();
            }
            check(waiting[0].getCompositeType().equals(((ArrayType<?>) jdks).getElementOpenType()),
                    "the JDK's type: " + jdks);
            WaitingThread[] rebuilt = JMX.newMXBeanProxy(SERVER, patch, PatchMBean.class).getWaiting();
            check(rebuilt.length == 1 && rebuilt[0].getThreadId() == held.getId() && rebuilt[0].getInside().isEmpty(),
                    "a proxy rebuilds it: " + List.of(rebuilt));
        }

        Gate.release(held);
        held.join(WAIT.toMillis());
        check(h.awaitTransition(WAIT), "the enable completes");
        h.disable();
        check(h.awaitTransition(WAIT), "the disable completes");
        h.unregister();
        System.out.println("RESULT ok");
    }

    /** What a JMX client, the Prometheus JMX exporter or JConsole reads: the names README gives. */
    private static void itemsAsDocumented(CompositeData w, Thread held) {
        check(w.getCompositeType().keySet().equals(Set.of("thread", "threadId", "method", "inside")),
                "the items are thread, threadId, method, inside: " + w.getCompositeType());
        check(w.containsKey("inside") && "".equals(w.get("inside")), "inside: " + w);
        check(held.getName().equals(w.get("thread")) && Long.valueOf(held.getId()).equals(w.get("threadId"))
                && "transapp.Codec.encode".equals(w.get("method")), "thread, threadId, method: " + w);
    }

    /** A composite type added to an MBean later is held to the same names: those of its getters, root locale. */
    private static void everyCompositeTypeNamedAsItsGetters(ObjectName name) throws Exception {
        MBeanInfo info = SERVER.getMBeanInfo(name);
        List<OpenType<?>> types = new ArrayList<>();
        for (MBeanAttributeInfo a : info.getAttributes()) {
            types.add((OpenType<?>) a.getDescriptor().getFieldValue("openType"));
        }
        for (MBeanOperationInfo o : info.getOperations()) {
            types.add((OpenType<?>) o.getDescriptor().getFieldValue("openType"));
            for (MBeanParameterInfo p : o.getSignature()) {
                types.add((OpenType<?>) p.getDescriptor().getFieldValue("openType"));
            }
        }
        for (OpenType<?> t : types) {
            namedAsGetters(name, t);
        }
    }

    private static void namedAsGetters(ObjectName name, OpenType<?> t) throws ClassNotFoundException {
        if (t instanceof ArrayType) {
            namedAsGetters(name, ((ArrayType<?>) t).getElementOpenType());
        } else if (t instanceof TabularType) {
            namedAsGetters(name, ((TabularType) t).getRowType());
        } else if (t instanceof CompositeType) {
            CompositeType ct = (CompositeType) t;
            Set<String> getters = new TreeSet<>();
            for (Method m : Class.forName(ct.getTypeName()).getMethods()) {
                String n = m.getName();
                int from = n.startsWith("get") ? 3 : n.startsWith("is") ? 2 : -1;
                if (from > 0 && n.length() > from && m.getParameterCount() == 0 && !Modifier.isStatic(m.getModifiers())
                        && !n.equals("getClass")) {
                    getters.add(n.substring(from, from + 1).toLowerCase(Locale.ROOT) + n.substring(from + 1));
                }
            }
            check(ct.keySet().equals(getters), name + ": " + ct + " names its items as its getters do: " + getters);
            for (String item : ct.keySet()) {
                namedAsGetters(name, ct.getType(item));
            }
        }
    }

    private static void awaitRegistered(ObjectName name) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!SERVER.isRegistered(name)) {
            check(System.nanoTime() < end, name + " was not registered within " + WAIT.toSeconds() + " s");
            Thread.sleep(10);
        }
    }

    /** An MXBean whose one attribute is a WaitingThread[], for the JDK's own mapping of it. */
    public interface WaitingOnlyMXBean {
        WaitingThread[] getWaiting();
    }

    static final class WaitingOnly implements WaitingOnlyMXBean {
        @Override
        public WaitingThread[] getWaiting() {
            return new WaitingThread[0];
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
