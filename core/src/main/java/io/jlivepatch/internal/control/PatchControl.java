package io.jlivepatch.internal.control;

import io.jlivepatch.PatchException;
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
        try {
            if (enabled) {
                patch.enable();
            } else {
                patch.disable();
            }
        } catch (PatchException e) {
            throw LivepatchControl.refusal(e);
        }
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
        return StatusReport.functionLines(patch).toArray(new String[0]);
    }

    @Override
    public void force() {
        try {
            patch.forceTransition();
        } catch (PatchException e) {
            throw LivepatchControl.refusal(e);
        }
    }

    @Override
    public void unregister() {
        try {
            patch.unregister();
        } catch (PatchException e) {
            throw LivepatchControl.refusal(e);
        }
    }
}
