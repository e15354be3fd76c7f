package io.jlivepatch.internal.control;

import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.jar.Jars;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import java.lang.management.ManagementFactory;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An operation's argument of the wrong type through JMX (a null or a string where it takes a boolean
 * or a long, which a JMX client can send and JConsole cannot) is refused saying what the operation
 * takes and what came, on record: it reached the client as a bare IllegalArgumentException without a
 * message, the reflection's, and nothing was on record (HostileWireTest). Nothing runs.
 */
class JmxArgumentTypesTest {

    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    @Test
    void aNullWhereLoadTakesABooleanIsRefusedSayingWhatItTakesOnRecord() throws Exception {
        Jars.lp();
        Jars.statusText(); // the MBeans are up
        List<String> before = names();
        String requester = Requester.current();
        RuntimeMBeanException e = assertThrows(RuntimeMBeanException.class, () -> SERVER.invoke(livepatch(), "load",
                new Object[] {"/far/fix.jar", null}, new String[] {String.class.getName(), boolean.class.getName()}));
        assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
        assertEquals("INVALID_ARGUMENT: LivepatchMBean.load takes (String, boolean), not (String, null): nothing was"
                + " done; give a value of each parameter's type (true or false for a boolean, a number for a long)",
                e.getCause().getMessage());
        String[] log = (String[]) SERVER.getAttribute(livepatch(), "Log");
        String last = log[log.length - 1];
        assertTrue(last.contains(" load (jlivepatch) by jmx: refused INVALID_ARGUMENT: LivepatchMBean.load takes"
                + " (String, boolean), not (String, null)"), last);
        assertEquals(before, names(), "nothing loaded");
        assertEquals(requester, Requester.current(), "the caller's requester is its own again");
    }

    @Test
    void stringsWhereWatchTakesNumbersAreRefusedSayingWhatItTakes() throws Exception {
        Jars.lp();
        Jars.statusText();
        Object watched = SERVER.getAttribute(livepatch(), "WatchedDirectory");
        RuntimeMBeanException e = assertThrows(RuntimeMBeanException.class, () -> SERVER.invoke(livepatch(), "watch",
                new Object[] {"/no/such/dir", "30", null}, new String[] {String.class.getName(), long.class.getName(),
                        long.class.getName()}));
        assertEquals("INVALID_ARGUMENT: LivepatchMBean.watch takes (String, long, long), not (String, String, null):"
                + " nothing was done; give a value of each parameter's type (true or false for a boolean, a number for"
                + " a long)", e.getCause().getMessage());
        assertEquals(watched, SERVER.getAttribute(livepatch(), "WatchedDirectory"), "no watch started");
        String[] log = (String[]) SERVER.getAttribute(livepatch(), "Log");
        assertTrue(log[log.length - 1].contains(" watch (jlivepatch) by jmx: refused INVALID_ARGUMENT: "),
                log[log.length - 1]);
    }

    /**
     * Only an operation's arguments are checked: a call of no operation is answered by the MBean
     * server as before (no such operation), not refused as arguments of the wrong type of an
     * operation that does not exist.
     */
    @Test
    void aCallOfNoOperationIsStillNoSuchOperation() throws Exception {
        Jars.lp();
        Jars.statusText();
        javax.management.ReflectionException e = assertThrows(javax.management.ReflectionException.class,
                () -> SERVER.invoke(livepatch(), "noSuchOperation", new Object[] {null},
                        new String[] {boolean.class.getName()}));
        assertTrue(e.getCause() instanceof NoSuchMethodException, String.valueOf(e.getCause()));
        // of the wrong signature: no such operation either
        assertThrows(javax.management.ReflectionException.class, () -> SERVER.invoke(livepatch(), "load",
                new Object[] {null, null}, new String[] {String.class.getName(), long.class.getName()}));
    }

    private static ObjectName livepatch() throws Exception {
        return new ObjectName(ObjectNames.LIVEPATCH);
    }

    private static List<String> names() {
        return Jars.lp().patches().stream().map(PatchHandle::name).toList();
    }
}
