package io.jlivepatch.internal.control;

import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.PatchRegistry;

/** The MBean of one patch; each write goes through the same life-cycle checks as the API. */
final class PatchControl implements PatchMBean {

    private final PatchRegistry registry;
    private final PatchHandle patch;

    PatchControl(PatchRegistry registry, PatchHandle patch) {
        this.registry = registry;
        this.patch = patch;
    }

    @Override
    public String getName() {
        return patch.name();
    }

    @Override
    public String getDescription() {
        return patch.patch().description();
    }

    @Override
    public boolean getEnabled() {
        return patch.isEnabled();
    }

    @Override
    public void setEnabled(boolean enabled) {
        JmxCalls.operation(registry, enabled ? "enable" : "disable", patch.name(), () -> {
            if (enabled) {
                patch.enable();
            } else {
                patch.disable();
            }
            return null;
        });
    }

    @Override
    public boolean getTransition() {
        return patch.inTransition();
    }

    @Override
    public int getStackOrder() {
        return registry.patches().indexOf(patch) + 1;
    }

    @Override
    public String[] getFunctions() {
        return JmxCalls.reading("the functions of patch '" + patch.name() + "'",
                () -> StatusReport.functionLines(patch).toArray(new String[0]));
    }

    @Override
    public void force() {
        JmxCalls.operation(registry, "force", patch.name(), () -> {
            patch.forceTransition();
            return null;
        });
    }

    @Override
    public void unregister() {
        JmxCalls.operation(registry, "unregister", patch.name(), () -> {
            patch.unregister();
            return null;
        });
    }
}
