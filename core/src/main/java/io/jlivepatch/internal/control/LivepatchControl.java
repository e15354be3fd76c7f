package io.jlivepatch.internal.control;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.LivepatchMBean;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.core.AuditLog;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJar;
import io.jlivepatch.internal.jar.PatchJarBytes;
import io.jlivepatch.internal.trust.TrustPolicy;
import io.jlivepatch.internal.watch.PatchDirectoryWatch;
import io.jlivepatch.internal.watch.ReconcileStatus;
import io.jlivepatch.internal.watch.WatchOptions;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;

/** The MBean of the patch stack. */
final class LivepatchControl implements LivepatchMBean {

    private final PatchRegistry registry;
    /**
     * Whether loadContent's array may still be its caller's: an MBean server hands an in-process
     * caller's array over as it is (byte[] is its own open type), and the caller could change it after
     * the digest check, between the checks (signature, classes) and the definition of the classes.
     * The control socket's session read the array off the wire and nobody else holds it: a copy there
     * would double what ReceivedJarBytes bounds.
     */
    private final boolean copiesContent;

    /** @param copiesContent see {@link #copiesContent}: true for the MBean server's instance */
    LivepatchControl(PatchRegistry registry, boolean copiesContent) {
        this.registry = registry;
        this.copiesContent = copiesContent;
    }

    @Override
    public String getVersion() {
        String v = LivepatchControl.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }

    @Override
    public String[] getPatches() {
        return JmxCalls.reading("the patch names",
                () -> registry.patches().stream().map(PatchHandle::name).toArray(String[]::new));
    }

    /**
     * With {@code enable}, one atomic step ({@link PatchRegistry#loadAndEnable}): a refused enable
     * leaves nothing registered, and a concurrent load never sees this one half done.
     */
    @Override
    public String load(String patchJarPath, boolean enable) {
        return JmxCalls.operation(registry, "load", String.valueOf(patchJarPath), () -> {
            Path path = path(patchJarPath);
            PatchHandle h = enable ? registry.loadAndEnable(path) : registry.load(path);
            return h.name();
        });
    }

    /**
     * The content is checked against the sender's digest before anything else: what the sender
     * checked is what is loaded, or nothing is. Checked and loaded from a copy of its own where the
     * caller keeps the array ({@link #copiesContent}).
     */
    @Override
    public String loadContent(byte[] content, String sha256, String source, boolean enable, boolean requireLoaded) {
        String subject = source == null || source.isBlank() ? "(sent content)" : source;
        if (!copiesContent) {
            return loadSent(content, sha256, subject, enable, requireLoaded); // under way since its announcement
        }
        // Under way from here (its copy, its digest), so that an exit meanwhile has it on record, nothing changed.
        Object checking = registry.checkingSentJar(subject);
        boolean answered = false;
        try {
            String name = loadSent(content, sha256, subject, enable, requireLoaded);
            answered = true;
            return name;
        } catch (IllegalStateException refused) {
            answered = true; // JmxCalls': on record
            throw refused;
        } finally {
            registry.receivingEnded(checking, answered);
        }
    }

    /** {@link #loadContent(byte[], String, String, boolean, boolean)} of {@code subject}, its JAR as named. */
    private String loadSent(byte[] content, String sha256, String subject, boolean enable, boolean requireLoaded) {
        return JmxCalls.operation(registry, "load", subject, () -> {
            PatchJarBytes jar;
            try {
                JarLimits limits = JarLimits.current();
                // Content over the limit is refused uncopied (of reads no byte of it).
                boolean copy = copiesContent && content != null && content.length <= limits.maxJarBytes();
                jar = PatchJarBytes.of(subject, copy ? content.clone() : content, limits);
            } catch (PatchException e) {
                throw registry.refusedOutside("load", subject, e);
            }
            if (sha256 == null || sha256.isBlank()) {
                // A JMX client's call without the digest: "not the null the sender computed" said nothing useful.
                throw registry.refusedOutside("load", jar, new PatchException(Reason.INVALID_PATCH, null,
                        PatchJar.about(subject) + ": no SHA-256 was sent with the content (it has SHA-256 " + jar.sha256()
                        + "); nothing was loaded: send it with the SHA-256 of the patch JAR (64 hex digits)"));
            }
            if (!sha256.equalsIgnoreCase(jar.sha256())) {
                throw registry.refusedOutside("load", jar, new PatchException(Reason.INVALID_PATCH, null,
                        PatchJar.about(subject) + ": the content received has SHA-256 " + jar.sha256() + ", not the "
                        + sha256 + " the sender computed; nothing was loaded: send it again"));
            }
            return registry.load(jar, enable, requireLoaded).name();
        });
    }

    /** The refusal of content over the JAR size limit, which the channel dropped as it arrived; audited. */
    IllegalStateException oversized(String source, long bytes) {
        String subject = source == null || source.isBlank() ? "(sent content)" : source;
        JarLimits limits = JarLimits.current();
        return JmxCalls.refusal(registry.refusedOutside("load", subject, limits.exceeded(subject,
                JarLimits.MAX_JAR_BYTES, "the file has " + bytes + " bytes")));
    }

    /**
     * The refusal of content that found no room (ReceivedJarBytes: other commands' patch JARs held
     * it), which the channel dropped as it arrived; audited.
     */
    IllegalStateException crowded(String source, long bytes) {
        String subject = source == null || source.isBlank() ? "(sent content)" : source;
        String waited = io.jlivepatch.internal.BoundedOpen.describe(PatchRegistry.lockWait());
        return JmxCalls.refusal(registry.refusedOutside("load", subject, new PatchException(Reason.BUSY, null,
                "cannot load patch JAR " + subject + " (" + bytes + " bytes): another jlivepatch command's patch JAR"
                + " was being received or loaded for all of the " + waited + " this one waited, and this JVM holds at most one patch JAR's size limit ("
                + JarLimits.MAX_JAR_BYTES + "=" + JarLimits.current().maxJarBytes() + " bytes) of them at once;"
                + " nothing was loaded: retry once that load has ended (a load whose patch callback never returns"
                + " holds it for good, as it holds jlivepatch's lock: the BUSY refusals of enable and disable name"
                + " it)")));
    }

    @Override
    public boolean isVerifyingPatches() {
        return TrustPolicy.current().enforced();
    }

    @Override
    public String getTrustPolicy() {
        return TrustPolicy.current().describe();
    }

    private Path path(String patchJarPath) throws PatchException {
        if (patchJarPath == null || patchJarPath.isBlank()) {
            throw registry.refusedOutside("load", String.valueOf(patchJarPath), new PatchException(
                    Reason.INVALID_PATCH, null, "no patch JAR named: give the path of a patch JAR"));
        }
        try {
            return Paths.get(patchJarPath).toAbsolutePath();
        } catch (InvalidPathException e) {
            throw registry.refusedOutside("load", patchJarPath, new PatchException(Reason.INVALID_PATCH, null,
                    "'" + Text.clean(patchJarPath) + "' is not a valid path here (" + e.getReason() + "): give the"
                    + " path of a patch JAR"));
        }
    }

    @Override
    public String statusJson() {
        return JmxCalls.reading("status", () -> StatusReport.json(registry));
    }

    @Override
    public String statusText() {
        return JmxCalls.reading("status", () -> StatusReport.text(registry));
    }

    @Override
    public String[] getLog() {
        return JmxCalls.reading("the audit log",
                () -> registry.audit().entries().stream().map(AuditLog.Entry::toString).toArray(String[]::new));
    }

    @Override
    public String getDesiredPatches() {
        return ReconcileStatus.current().desired();
    }

    @Override
    public String getReconcileState() {
        return ReconcileStatus.current().state();
    }

    @Override
    public long getLastReconcile() {
        return ReconcileStatus.current().lastReconcile();
    }

    @Override
    public String getWatchedDirectory() {
        return ReconcileStatus.current().directory();
    }

    @Override
    public String watch(String directory, long intervalSeconds, long timeoutSeconds) {
        String subject = String.valueOf(directory);
        return JmxCalls.operation(registry, "watch", subject, () -> {
            WatchOptions options;
            try {
                if (directory == null || directory.isBlank()) {
                    throw new IllegalArgumentException("no directory given: give the path of a patch directory");
                }
                options = new WatchOptions(Paths.get(directory).toAbsolutePath().normalize(),
                        Duration.ofSeconds(intervalSeconds), Duration.ofSeconds(timeoutSeconds));
            } catch (IllegalArgumentException e) { // InvalidPathException included
                throw registry.refusedOutside("watch", subject, new PatchException(Reason.INVALID_ARGUMENT, null,
                        // an InvalidPathException's message quotes the path too
                        "cannot watch '" + Text.clean(subject) + "': " + Text.clean(e.getMessage())
                        + "; nothing was changed"));
            }
            try {
                // on record before the watch thread's first reconcile can record its loads
                PatchDirectoryWatch.start(registry, options, false, () -> registry.audit("watch",
                        options.directory().toString(), "ok (interval " + intervalSeconds + " s, timeout "
                        + timeoutSeconds + " s)"));
            } catch (IllegalArgumentException e) {
                throw registry.refusedOutside("watch", subject, new PatchException(Reason.ILLEGAL_STATE, null,
                        e.getMessage()));
            }
            return options.directory().toString();
        });
    }
}
