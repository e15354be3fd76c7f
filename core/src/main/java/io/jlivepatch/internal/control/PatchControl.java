package io.jlivepatch.internal.control;

import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.PatchMBean;
import io.jlivepatch.control.WaitingThread;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Provenance;
import io.jlivepatch.internal.transition.Transition;

import java.util.List;
import java.util.Map;

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
    public boolean isEnabled() {
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
    public boolean isTransition() {
        return patch.inTransition();
    }

    @Override
    public WaitingThread[] getWaiting() {
        return JmxCalls.reading("the threads holding patch '" + patch.name() + "'", () -> {
            List<Transition.Waiter> waiters = registry.waiters(patch);
            WaitingThread[] out = new WaitingThread[waiters.size()];
            for (int i = 0; i < out.length; i++) {
                Transition.Waiter w = waiters.get(i);
                out[i] = new WaitingThread(w.thread(), w.threadId(), w.method(), w.inside());
            }
            return out;
        });
    }

    @Override
    public boolean isReplace() {
        return patch.patch().replace();
    }

    @Override
    public String[] getStates() {
        return StatusReport.states(patch).toArray(new String[0]);
    }

    @Override
    public String[] getPendingClasses() {
        return registry.pendingClasses(patch).toArray(new String[0]);
    }

    private Provenance provenance() {
        Provenance p = registry.provenance(patch);
        return p != null ? p : new Provenance("", "", "", Map.of(), java.time.Instant.EPOCH, "");
    }

    @Override
    public String getSource() {
        return provenance().source();
    }

    @Override
    public String getSha256() {
        return provenance().sha256();
    }

    @Override
    public String getSigner() {
        return provenance().signer();
    }

    @Override
    public String[] getBuilds() {
        Map<String, String> builds = provenance().builds();
        String[] out = new String[builds.size()];
        int i = 0;
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(builds).entrySet()) {
            out[i++] = e.getKey() + "=" + e.getValue();
        }
        return out;
    }

    @Override
    public String getLoadedAt() {
        return provenance().loadedAt().toString();
    }

    @Override
    public String getLoadedBy() {
        return provenance().requester();
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
    public int getFailedFunctions() {
        return JmxCalls.reading("the failed functions of patch '" + patch.name() + "'",
                () -> FailedFunctions.count(patch));
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
