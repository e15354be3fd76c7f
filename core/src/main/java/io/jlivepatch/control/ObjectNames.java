package io.jlivepatch.control;

import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/** Where jlivepatch's MBeans are in the platform MBean server. */
public final class ObjectNames {

    /** The {@link LivepatchMBean}. */
    public static final String LIVEPATCH = "io.jlivepatch:type=Livepatch";

    /** The {@link PatchMBean}s: {@code io.jlivepatch:type=Patch,name=*}. */
    public static final String PATCHES = "io.jlivepatch:type=Patch,name=*";

    private ObjectNames() {
    }

    /** The {@link PatchMBean} of {@code patch}, a valid patch name. */
    public static ObjectName patch(String patch) {
        try {
            return new ObjectName("io.jlivepatch:type=Patch,name=" + patch);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException("not a valid patch name: " + patch, e);
        }
    }

    public static ObjectName livepatch() {
        try {
            return new ObjectName(LIVEPATCH);
        } catch (MalformedObjectNameException e) {
            throw new AssertionError(e);
        }
    }
}
