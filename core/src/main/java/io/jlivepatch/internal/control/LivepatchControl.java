package io.jlivepatch.internal.control;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.AuditLog;
import io.jlivepatch.internal.core.PatchRegistry;

import java.nio.file.Path;
import java.nio.file.Paths;

/** The MBean of the patch stack. */
final class LivepatchControl implements LivepatchMBean {

    private final PatchRegistry registry;

    LivepatchControl(PatchRegistry registry) {
        this.registry = registry;
    }

    /**
     * A refusal as JMX carries it to any client: a JDK exception whose message starts with the reason
     * ({@code ORDER_VIOLATION: cannot disable ...}), since a client may not have jlivepatch's classes.
     */
    static IllegalStateException refusal(PatchException e) {
        return new IllegalStateException(e.reason() + ": " + e.getMessage());
    }

    @Override
    public String getVersion() {
        String v = LivepatchControl.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }

    @Override
    public String[] getPatches() {
        return registry.patches().stream().map(PatchHandle::name).toArray(String[]::new);
    }

    @Override
    public String load(String patchJarPath, boolean enable) {
        if (patchJarPath == null || patchJarPath.isBlank()) {
            throw new IllegalArgumentException("INVALID_PATCH: give the path of a patch JAR");
        }
        Path path = Paths.get(patchJarPath).toAbsolutePath();
        PatchHandle h;
        try {
            h = registry.load(path);
        } catch (PatchException e) {
            throw refusal(e);
        }
        if (enable) {
            try {
                h.enable();
            } catch (PatchException e) {
                try {
                    h.unregister();
                } catch (PatchException cannot) {
                    e.addSuppressed(cannot);
                }
                throw refusal(e);
            }
        }
        return h.name();
    }

    @Override
    public String statusJson() {
        return StatusReport.json(registry);
    }

    @Override
    public String statusText() {
        return StatusReport.text(registry);
    }

    @Override
    public String[] getLog() {
        return registry.audit().entries().stream().map(AuditLog.Entry::toString).toArray(String[]::new);
    }
}
