package io.jlivepatch.agent;

import io.jlivepatch.internal.BackgroundInstall;
import io.jlivepatch.internal.Log;
import io.jlivepatch.Livepatch;
import io.jlivepatch.internal.core.AuditFile;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.patch.RecursionGuard;
import io.jlivepatch.internal.trust.TrustPolicy;
import io.jlivepatch.internal.watch.PatchDirectoryWatch;

import java.lang.instrument.Instrumentation;

/**
 * The agent's entry points. Rules, as in every agent that must not take its host down: do as
 * little as possible here, keep no static state, and never let an exception escape into the JVM's
 * start-up (a failing premain aborts the application).
 *
 * <p>Arguments: {@code patches=<dir>} loads and enables every patch JAR of that directory, in
 * file-name order, before {@code main} (the kpatch service); with {@code watch=true} the directory
 * is the desired stack from then on, reconciled on every change ({@link PatchDirectoryWatch}).
 */
public final class AgentMain {

    /** Set in the target JVM once jlivepatch is installed; {@code jlivepatch list} reads it over attach. */
    public static final String VERSION_PROPERTY = "jlivepatch.version";
    /**
     * Set in the target JVM when the agent could not install, to why; the command reads it over
     * attach and says so at once instead of waiting for a socket that never opens. Cleared by an
     * installation that succeeds.
     */
    public static final String FAILURE_PROPERTY = "jlivepatch.agent.failure";
    /**
     * Set in the target JVM, to why, by an attach that installed nothing because the start-up's own
     * installation (BackgroundInstall) still ran after its bound; cleared when that installation
     * ends. The command then waits for the control socket instead of refusing at once.
     */
    public static final String PENDING_PROPERTY = "jlivepatch.agent.pending";
    /**
     * Set in the target JVM, to the time it started (milliseconds since the epoch), while premain's
     * installation runs on its own thread (BackgroundInstall); cleared when it ends, installed or
     * failed. The command then waits for it, as {@code load} does through {@code agentmain}, and
     * {@code list} and {@code status} say "installing" instead of "not loaded".
     */
    public static final String INSTALLING_PROPERTY = "jlivepatch.agent.installing";
    /**
     * Set in the target JVM by jlivepatch's first installation to the agent JAR it runs from as it was
     * then: {@code <size> <modified, ms since the epoch> <file key> [<changed, ns>]} (the JVM's file
     * key, device and inode; the change time where the file system has one, which a write moves even
     * when it keeps the size and the modification time). The JVM reads jlivepatch's classes from that file as they are first used, for its life:
     * the command compares the file the JVM holds open with this, and refuses to ask anything of a
     * JVM whose JAR was overwritten in place since (cli's OverwrittenAgentJar).
     */
    public static final String JAR_PROPERTY = "jlivepatch.agent.jar.opened";
    /**
     * Set with {@link #JAR_PROPERTY}: the CRC-32 of that JAR's central directory then (decimal), which
     * any other content of the same size changes, for a file system whose change time does not move (or
     * has none). A property of its own: a command older than it reads {@link #JAR_PROPERTY} as four
     * fields at most, and one more there would make it check nothing.
     */
    public static final String DIRECTORY_PROPERTY = "jlivepatch.agent.jar.directory";


    private AgentMain() {
    }

    /**
     * {@code -javaagent:jlivepatch-agent.jar[=patches=<dir>]}: installs jlivepatch, before {@code main}
     * when it loads start-up patches, else on a thread of its own while {@code main} starts.
     */
    public static void premain(String args, Instrumentation inst) {
        if (!installAside(args, inst)) {
            // jlivepatch named before with -javaagent, without start-up patches: its installation runs
            // aside and comes first (its trust store before these patches), as when premains ran in turn.
            try {
                BackgroundInstall.awaitAll();
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                // nothing escapes premain; the installation below reports what it finds
            }
            install(args, inst, true);
        }
    }

    /** Runtime attach: installs jlivepatch into a running JVM (idempotent). */
    public static void agentmain(String args, Instrumentation inst) {
        // After premain's own installation, when it still runs on its thread: the start-up's
        // arguments (limits, trust store, audit file) come first, as they did when premain installed.
        if (!BackgroundInstall.awaitEnded()) {
            // Still running after the bound (a trust store on a file system that does not answer?):
            // installing now would run without the start-up's trust store. Nothing is installed; the
            // command waits for the control socket, which opens if that installation completes.
            try {
                String why = BackgroundInstall.whyNotInstalled();
                Log.get().log(System.Logger.Level.WARNING, "an attach of jlivepatch's agent installs nothing: " + why);
                if (BackgroundInstall.running()) {
                    // for the command: no failure, an installation still to come (cleared when it ends)
                    System.setProperty(PENDING_PROPERTY, why);
                    if (!BackgroundInstall.running()) {
                        System.clearProperty(PENDING_PROPERTY); // it ended meanwhile, and may have cleared it first
                    }
                }
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                logFailure(e);
            }
            return;
        }
        install(args, inst, false);
    }

    /**
     * Without patches to load before {@code main}, the application need not wait for jlivepatch: the
     * installation runs on a thread of its own (BackgroundInstall). Decided by the option names
     * alone, before anything else loads.
     *
     * @return whether the installation runs aside; {@code false}: premain installs, as with patches
     */
    private static boolean installAside(String args, Instrumentation inst) {
        try {
            if (loadBeforeMain(args)) {
                return false;
            }
            // Before the thread starts: its end clears the property (Installation.run), never before this sets it.
            System.setProperty(INSTALLING_PROPERTY, Long.toString(System.currentTimeMillis()));
            BackgroundInstall.start(new Installation(args, inst));
            return true;
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            try {
                System.clearProperty(INSTALLING_PROPERTY);
            } catch (RuntimeException ignored) {
                // a security manager, say: then it was not set either
            }
            return false; // no thread could start, say: premain installs, as it did before
        }
    }

    /**
     * Changes of the agent's own settings not on record yet: made before jlivepatch's registry (and
     * its audit log) existed, or by an installation that then failed; each {requester, operation,
     * subject, outcome}. Written by premain and the attach threads, which the JVM runs one at a time;
     * synchronized all the same, as an attach may fail and another follow.
     */
    private static final java.util.List<String[]> PENDING = new java.util.ArrayList<>();

    private static void onRecord(String requester, String operation, String subject, String outcome) {
        synchronized (PENDING) {
            PENDING.add(new String[] {requester, operation, subject, outcome});
        }
    }

    /** Audits every pending change, in order, once jlivepatch's registry exists; keeps them until then. */
    private static void auditPending() {
        PatchRegistry registry = PatchRegistry.installed();
        if (registry == null) {
            return;
        }
        synchronized (PENDING) {
            for (String[] change : PENDING) {
                String before = Requester.enter(change[0]);
                try {
                    registry.audit(change[1], change[2], change[3]);
                } finally {
                    Requester.restore(before);
                }
            }
            PENDING.clear();
        }
    }

    private static String describe(io.jlivepatch.internal.jar.JarLimits limits) {
        StringBuilder sb = new StringBuilder();
        for (String option : io.jlivepatch.internal.jar.JarLimits.OPTIONS) {
            sb.append(sb.length() == 0 ? "" : ", ").append(option).append('=').append(limits.get(option));
        }
        return sb.toString();
    }

    /** @param beforeMain premain: the application's main waits for this */
    private static void install(String args, Instrumentation inst, boolean beforeMain) {
        try {
            if (beforeMain) {
                // the hooks' notes on other agents' code tell by it whether the start order could help
                io.jlivepatch.internal.BackgroundInstall.premainInstalls(inst);
            }
            installChecked(args, inst, beforeMain);
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            // Nothing escapes: out of premain it aborts the application's start-up, out of agentmain it
            // reaches the attach thread. (The checks and the parse run before the broad handler below.)
            // The log first: whoever then sees the property (the command, an application waiting for
            // the outcome of an installation that ran aside of main) finds the reason in the log.
            logFailure(e);
            failed(e.getMessage() != null ? e.getMessage() : e.toString());
        }
    }

    private static void installChecked(String args, Instrumentation inst, boolean beforeMain) {
        String scarce = scarceFileDescriptors();
        if (scarce != null) {
            // Nothing of jlivepatch's, not even its log: a JDK class whose initializer first runs now
            // (java.security.Security, under System.getLogger on JDK 17) fails for want of a
            // descriptor and stays failed for the JVM's life, taking the application's security
            // and logging with it. Standard error takes the line without opening anything.
            String why = "the JVM has " + scarce + "; jlivepatch needs about " + FREE_DESCRIPTORS_NEEDED + " to"
                    + " install: free file descriptors or raise the JVM's limit (ulimit -n), then retry";
            System.err.println("jlivepatch: not installed: " + why);
            failed(why);
            return;
        }
        // Before main with patches to load: their classes load on a second thread meanwhile.
        StartupPreload preload = beforeMain && loadBeforeMain(args) ? StartupPreload.begin() : null;
        try {
            installWith(args, inst, beforeMain);
        } finally {
            if (preload != null) { // not StartupPreload's static: an attach never loads the class (FootprintIT)
                preload.end();
            }
        }
    }

    /** installChecked, once the JVM has the file descriptors to install. */
    private static void installWith(String args, Instrumentation inst, boolean beforeMain) {
        AgentArguments arguments;
        try {
            arguments = AgentArguments.parse(args);
        } catch (IllegalArgumentException e) {
            try {
                refused(args, e, beforeMain);
            } catch (RuntimeException | LinkageError | VirtualMachineError f) {
                logFailure(f); // nothing escapes into the JVM's start-up or the attach thread
            }
            return;
        }
        try {
            // Who asked, for provenance and audit: an attach may come hours after the start.
            String requester = beforeMain ? Requester.STARTUP : Requester.ATTACH;
            io.jlivepatch.internal.jar.JarLimits limitsBefore = io.jlivepatch.internal.jar.JarLimits.current();
            io.jlivepatch.internal.jar.JarLimits.setCurrent(arguments.jarLimits());
            if (!arguments.jarLimits().equals(limitsBefore)) {
                // What a patch JAR may be changes what loads: on record, as every change is.
                String limits = describe(arguments.jarLimits());
                Log.get().log(System.Logger.Level.INFO, "patch JAR limits: " + limits);
                onRecord(requester, "limits", "patch JARs", "ok (" + limits + ")");
            }
            if (arguments.truststore() != null) {
                // Before any patch can load; a store that cannot be read gives a policy that refuses all.
                // A raised policy changes what may run from now on (and what registered patches may
                // be enabled): on record too.
                boolean trustInstalled = TrustPolicy.install(TrustPolicy.fromStore(arguments.truststore(),
                        arguments.truststorePassword()));
                onRecord(requester, "trust", arguments.truststore().toString(), (trustInstalled ? "ok ("
                        : "refused (the policy stays: ") + TrustPolicy.current().describe() + ")");
            }
            if (arguments.auditFile() != null) {
                AuditFile.configure(arguments.auditFile());
            }
            Livepatch lp = Livepatch.install(inst);
            if (!beforeMain) {
                // An attach to a JVM where jlivepatch runs: what the command does when it finds the
                // control socket deleted (a clean-up of the temporary directory) or never opened.
                io.jlivepatch.internal.control.ControlServer.reopenIfLost();
            }
            System.clearProperty(FAILURE_PROPERTY);
            System.clearProperty(PENDING_PROPERTY);
            auditPending();
            System.setProperty(VERSION_PROPERTY, version());
            recordJar();
            if (arguments.watch() == null && arguments.patchDirectory() == null) {
                return; // nothing to patch yet: the hooks are installed by the first operation
            }
            // The start-up loader and the attach thread run jlivepatch's code from here on: marked
            // (RecursionGuard), so that no patch's replacement runs on their behalf. The mark
            // completes the hooks' installation (HookManager.activate) first.
            int mark = RecursionGuard.enter();
            try {
                if (arguments.watch() != null) {
                    // Before main, the first reconcile's log lines go aside, as the start-up loader's do.
                    if (beforeMain) {
                        Log.beginAside();
                    }
                    try {
                        // On record with who asked (the start-up, an attach) before the first reconcile's loads,
                        // which are the watch's, as the command's and JMX's watch is.
                        PatchDirectoryWatch.startFor(PatchRegistry.installed(), arguments.watch(), requester);
                    } catch (IllegalArgumentException e) {
                        // another directory watched already: refused, and on record as the socket's
                        // watch refuses it (LivepatchControl.watch); jlivepatch runs on as it was
                        String before = Requester.enter(requester);
                        try {
                            PatchRegistry.installed().refusedOutside("watch", arguments.watch().directory().toString(),
                                    new io.jlivepatch.PatchException(io.jlivepatch.PatchException.Reason.ILLEGAL_STATE,
                                            null, e.getMessage()));
                        } finally {
                            Requester.restore(before);
                        }
                    } finally {
                        if (beforeMain) {
                            Log.endAside();
                        }
                    }
                } else if (arguments.patchDirectory() != null) {
                    String before = Requester.enter(requester);
                    // Before main, the patches' log lines are formatted and printed by a thread of
                    // their own meanwhile (a cold JVM takes milliseconds a line); all are out when
                    // this returns. Attached, nobody waits: they are printed as they come.
                    if (beforeMain) {
                        Log.beginAside();
                    }
                    try {
                        StartupPatches.loadAll(lp, arguments.patchDirectory());
                    } finally {
                        if (beforeMain) {
                            Log.endAside();
                        }
                        Requester.restore(before);
                    }
                }
            } finally {
                RecursionGuard.exit(mark);
            }
        } catch (RuntimeException | LinkageError e) {
            logFailure(e); // the log first, as in install
            failed(e.getMessage() != null ? e.getMessage() : e.toString()); // not "null"
        } catch (VirtualMachineError e) {
            // jlivepatch fails, the application does not: an error out of premain would abort the
            // start-up, and out of agentmain it reaches the attach thread (out of memory, an
            // InternalError of a JDK file that could not be read). Logging may fail too.
            logFailure(e); // never throws: it falls back to standard error
            failed(String.valueOf(e));
        }
    }

    /**
     * Whether {@code args} name {@code patches} or {@code watch}, with any value: then premain loads
     * patches before {@code main} and installs jlivepatch itself. Only the option names, split as
     * {@link AgentArguments} splits them (AgentArgumentsTest compares the two): premain asks before
     * anything else of jlivepatch's loads, that class included. The full parse follows either way.
     */
    static boolean loadBeforeMain(String args) {
        if (args == null) {
            return false;
        }
        for (String pair : args.split(",")) {
            int eq = pair.indexOf('=');
            String name = (eq < 0 ? pair : pair.substring(0, eq)).trim();
            if (name.equals("patches") || name.equals("watch")) {
                return true;
            }
        }
        return false;
    }

    /** premain's installation, on BackgroundInstall's thread (a class, not a lambda: see BackgroundInstall). */
    private static final class Installation implements Runnable {
        private final String args;
        private final Instrumentation inst;

        Installation(String args, Instrumentation inst) {
            this.args = args;
            this.inst = inst;
        }

        @Override
        public void run() {
            // jlivepatch.version is set at the end, once installed, as premain set it: until then the
            // command attaches the agent, whose agentmain waits for this installation. (Set any sooner,
            // a failure here, arguments refused say, made the command give up where an attach succeeds.)
            try {
                install(args, inst, true);
            } finally {
                try {
                    System.clearProperty(PENDING_PROPERTY); // an attach meanwhile found this still running
                    System.clearProperty(INSTALLING_PROPERTY);
                } catch (RuntimeException ignored) {
                    // a security manager, say
                }
            }
        }
    }

    /**
     * Arguments that do not parse (and only those: an IllegalArgumentException of the installation
     * itself, from the JVM's bootstrap append when descriptors ran out, say, is no bad argument).
     */
    private static void refused(String args, IllegalArgumentException e, boolean beforeMain) {
        try {
            refusedChecked(args, e, beforeMain);
        } finally {
            // After the log line, as in install: whoever sees the property finds the reason in the log.
            failed("its arguments were refused: " + e.getMessage());
        }
    }

    private static void refusedChecked(String args, IllegalArgumentException e, boolean beforeMain) {
        // The audit file asked for is kept whatever else is wrong: what follows (the fail-closed
        // policy, every refusal) must be on record there too.
        java.nio.file.Path audit = AgentArguments.auditFileOf(args);
        if (audit != null) {
            AuditFile.configure(audit);
        }
        if (AgentArguments.nameATrustStore(args)) {
            // Fail closed: signed patches were required, and a later attach (which passes no
            // arguments, or others) must not install jlivepatch without the trust store.
            boolean installed = TrustPolicy.install(TrustPolicy.refusingAll("the agent's arguments, which name a"
                    + " trust store, were refused at " + (beforeMain ? "start-up" : "an attach") + " ("
                    + e.getMessage() + "): correct them and restart the JVM"));
            onRecord(beforeMain ? Requester.STARTUP : Requester.ATTACH, "trust", "(the agent's arguments)",
                    (installed ? "ok (" : "refused (the policy stays: ") + TrustPolicy.current().describe() + ")");
            auditPending(); // at once when jlivepatch runs already (a later attach)
            Log.get().log(System.Logger.Level.ERROR, "jlivepatch agent arguments: " + e.getMessage()
                    + "; they name a trust store, so every patch is refused until the JVM restarts with"
                    + " arguments that parse");
            return;
        }
        // On record as any refused change is, once jlivepatch's registry exists (at once when it runs
        // already; else at the installation that follows, as the trust store's refusal above).
        onRecord(beforeMain ? Requester.STARTUP : Requester.ATTACH, "arguments", "(the agent's arguments)",
                "refused INVALID_ARGUMENT: " + e.getMessage() + "; nothing of them was applied");
        auditPending();
        Log.get().log(System.Logger.Level.ERROR, "jlivepatch agent arguments: " + e.getMessage()
                + "; the application runs without them");
    }

    /** The failure in the log, or on standard error when even logging fails: nothing escapes. */
    private static void logFailure(Throwable e) {
        try {
            Log.get().log(System.Logger.Level.ERROR, "jlivepatch could not be installed; the application runs"
                    + " without live patching", e);
        } catch (Throwable logging) {
            try {
                System.err.println("jlivepatch: could not be installed (" + e + "); the application runs without"
                        + " live patching");
            } catch (Throwable ignored) {
                // nothing more can be done
            }
        }
    }

    /** How many free file descriptors installing takes at most, with room to spare (the JDK's own included). */
    static final int FREE_DESCRIPTORS_NEEDED = 32;

    /**
     * {@link #JAR_PROPERTY}: the JAR as the first installation found it (OwnBuild.opened), which a
     * later attach (a socket's reopen) leaves as it is. Nothing when jlivepatch's classes come from no
     * JAR (a class directory: tests) or the file could not be read; never throws.
     */
    private static void recordJar() {
        try {
            // the installation's own look at the JAR (OwnBuild.check, in Livepatch.install)
            String opened = io.jlivepatch.internal.OwnBuild.opened();
            if (opened != null) {
                // putIfAbsent: two attaches at once record the same file once (Properties is concurrent)
                System.getProperties().putIfAbsent(JAR_PROPERTY, opened);
                long directory = io.jlivepatch.internal.OwnBuild.openedDirectory();
                if (directory != io.jlivepatch.internal.OwnBuild.UNKNOWN) {
                    System.getProperties().putIfAbsent(DIRECTORY_PROPERTY, Long.toString(directory));
                }
            }
        } catch (Throwable e) {
            // out of memory included: no record, and the installation goes on; the command then
            // cannot tell an overwritten JAR, as before
        }
    }

    /**
     * This build's version, as {@link #VERSION_PROPERTY} publishes it: with the build, so that which
     * build runs where shows (jlivepatch list), whatever the version says.
     */
    static String version() {
        String version = AgentMain.class.getPackage().getImplementationVersion();
        return (version == null ? "development" : version).concat(" (build ").concat(
                io.jlivepatch.internal.OwnBuild.stamp()).concat(")");
    }

    /**
     * What is short when fewer than {@link #FREE_DESCRIPTORS_NEEDED} file descriptors are free
     * ({@code "12 of 1024 file descriptors free"}), or {@code null}: enough, or no {@code /proc} to
     * tell. Read with java.io only, which every JVM has initialized before an agent runs.
     */
    static String scarceFileDescriptors() {
        java.io.File self = new java.io.File("/proc/self");
        if (!self.isDirectory()) {
            return null;
        }
        long[] use;
        try {
            use = fileDescriptors(self);
        } catch (java.io.IOException e) {
            // Only the want of a descriptor refuses; a /proc without the file says nothing.
            return String.valueOf(e.getMessage()).contains("Too many open files")
                    ? "no file descriptor free (/proc/self/limits cannot be read: " + e.getMessage() + ")" : null;
        }
        if (use == null) {
            return null;
        }
        if (use[1] < 0) {
            return "no file descriptor free (/proc/self/fd cannot be listed)";
        }
        long free = use[0] - (use[1] - 1); // the listing's own descriptor is closed again
        return free < FREE_DESCRIPTORS_NEEDED ? free + " of " + use[0] + " file descriptors free" : null;
    }

    /**
     * The soft limit of open files of the process whose /proc directory is {@code proc}, and how many
     * it has open ({@code -1} when its fd directory cannot be listed); null when it has no limit or
     * its limits are in a format this does not know. java.io only, as it runs before anything else
     * of jlivepatch's at install; the command asks it of a JVM before attaching (AttachHeadroom).
     *
     * @throws java.io.IOException when the limits file cannot be read
     */
    public static long[] fileDescriptors(java.io.File proc) throws java.io.IOException {
        // Listed first: with no descriptor free the listing fails, and the limits then cannot be read.
        String[] open = new java.io.File(proc, "fd").list(); // takes one descriptor while it lists
        long limit = -1;
        try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                new java.io.FileInputStream(new java.io.File(proc, "limits")), java.nio.charset.StandardCharsets.US_ASCII))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("Max open files")) {
                    String rest = line.substring("Max open files".length()).trim();
                    int space = rest.indexOf(' ');
                    String soft = space < 0 ? rest : rest.substring(0, space); // then the hard limit, the unit
                    limit = soft.equals("unlimited") ? -1 : Long.parseLong(soft);
                }
            }
        } catch (RuntimeException e) {
            return null; // a format this does not know: no reading, no refusal
        }
        return limit < 0 ? null : new long[] {limit, open == null ? -1 : open.length};
    }

    private static void failed(String why) {
        try {
            System.setProperty(FAILURE_PROPERTY, why);
        } catch (RuntimeException ignored) {
            // a security manager, say: the target's log has it
        }
    }
}
