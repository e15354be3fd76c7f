package io.jlivepatch.agent.cli;

import io.jlivepatch.PatchException;
import io.jlivepatch.control.PatchMBean;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.jar.PatchJar;
import io.jlivepatch.internal.jar.PatchJarBytes;
import io.jlivepatch.internal.jar.PatchJarLoader;
import io.jlivepatch.internal.jar.ReplacesScanner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Load a patch JAR into a running JVM (loading jlivepatch first if needed), enable it and"
                + " wait for its transition. The JAR is read once, here, and its content sent: the target never"
                + " opens the path.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:loaded (and enabled, patching complete)",
                "1:refused: nothing changed in the target (the reason is printed); or registered and enabled, but another"
                + " operation disabled it again before the transition ended (printed)",
                "2:usage error",
                "3:enabled, but the transition had not ended within --wait: what holds it (threads or its postPatch)"
                + " is printed", Main.UNKNOWN_EXIT,
                Main.FAILED_EXIT})
final class LoadCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PidOption target;

    @Parameters(index = "1", paramLabel = "<patch.jar>", description = "the patch JAR")
    Path jar;

    @Option(names = "--no-enable", description = "register the patch only")
    boolean noEnable;

    @Option(names = "--require-loaded", description = "refuse, changing nothing, when a target class is loaded in no"
            + " class loader (a misspelt name) instead of patching it when it is defined")
    boolean requireLoaded;

    @Option(names = "--agent-options", paramLabel = "<options>", description = "the agent's options when this"
            + " command loads it into the JVM, paths in the target's file system, for example"
            + " truststore=/etc/jlivepatch/trust.p12; ignored when jlivepatch is loaded already")
    String agentOptions;

    @Mixin
    TimeoutOption timeout;

    @Mixin
    WaitOption wait;

    /**
     * Says that {@code --agent-options} were not applied, jlivepatch running there already: an operator who
     * gave truststore= or audit= believed the JVM now verified or recorded patches, and nothing said
     * otherwise.
     */
    private void warnIfOptionsIgnored(TargetJvm jvm) {
        if (agentOptions == null || agentOptions.isBlank() || jvm.loadedTheAgent()) {
            return;
        }
        spec.commandLine().getErr().println(ignoredOptionsWarning(jvm.pid(), agentOptions));
    }

    /**
     * The warning for {@code options} ignored by the agent in {@code pid}. The options' names only: a value
     * may be a password. And none after a password's key (truststore-password, or a misspelling of it: see
     * {@link #maySetAPassword}): a password with a comma makes its end look like an option, whose name
     * would show it on the operator's terminal (as {@code AgentArguments} names no option of arguments
     * that hold one).
     */
    static String ignoredOptionsWarning(long pid, String options) {
        List<String> names = new java.util.ArrayList<>();
        boolean afterPassword = false;
        String[] pairs = options.split(",");
        for (int i = 0; i < pairs.length; i++) {
            String name = (pairs[i].contains("=") ? pairs[i].substring(0, pairs[i].indexOf('=')) : pairs[i]).trim();
            if (!name.isEmpty()) {
                names.add(Text.clean(name));
            }
            if (maySetAPassword(name) && pairs[i].contains("=")) {
                // Whatever follows may be the password's end: said to be there, never named. Its end or
                // options, they read alike, so saying that something follows tells nothing of the password.
                afterPassword = i + 1 < pairs.length;
                break;
            }
        }
        // The hint when a trust store is named, or may be among what is not named (the password's end
        // cannot decide it: that would tell whether it is "truststore").
        boolean truststore = names.contains("truststore") || afterPassword;
        return "jlivepatch: warning: jlivepatch runs in pid " + pid + " already, so --agent-options ("
                + String.join(", ", names) + (afterPassword ? " and what follows it, not named: a password may hold"
                + " a comma" : "") + ") were ignored: the agent's options are set when it is loaded ('jlivepatch"
                + " status " + pid + "' shows its trust policy and audit file); to change them, restart the JVM with"
                + " -javaagent:jlivepatch-agent.jar=<options>"
                + (truststore ? " (a JVM without a trust store takes one from an attach of the agent with it: jcmd "
                        + pid + " JVMTI.agent_load <jlivepatch-agent.jar> '\"truststore=<file>\"'; README 'Signed"
                        + " patches')" : "");
    }

    /**
     * Whether the option {@code name} may give a password: truststore-password, and what may be meant for it
     * (any other name holding "truststore", as AgentArguments fails closed for, or "pass"); a misspelt
     * one's value is a password all the same.
     */
    private static boolean maySetAPassword(String name) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        return lower.contains("pass") || (lower.contains("truststore") && !lower.equals("truststore"));
    }

    @Override
    public Integer call() throws Refused, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        Path path = jar.toAbsolutePath().normalize();
        PatchJarBytes content;
        PatchJar patchJar;
        Refused checkedHere = null;
        try {
            // Read once and checked here first: a bad file must not even load the agent into the target,
            // and what was checked is what is sent.
            CheckedJar checked = CheckedJar.read(path);
            content = checked.bytes();
            patchJar = checked.jar();
        } catch (CheckedJar.Refusal e) {
            if (e.bytes == null) {
                throw e; // nothing that could be sent: not read, or over the size limit
            }
            checkedHere = e;
            content = e.bytes;
            patchJar = e.jar;
        }
        TargetJvm connected;
        if (checkedHere == null) {
            connected = TargetJvm.connect(target.pid, agentOptions == null ? "" : agentOptions, timeout.seconds());
        } else {
            // Refused here; where this very build of jlivepatch runs already, its own checks (the same
            // code, under the limits it was given) decide and its audit log keeps the refusal, as for
            // every load it refuses: an attempt leaves a trace there. Another build may judge otherwise
            // (an older one may take what this one refuses): it is not sent the bytes.
            try {
                connected = TargetJvm.attach(target.pid, false, timeout.seconds());
            } catch (Refused | RuntimeException notThere) {
                // not loaded for a file that fails, nor reported instead (an installation under way was
                // waited for, within the timeout: its audit log keeps the attempt then)
                throw checkedHere;
            }
            String running = connected.agentVersion(); // "<version> (build <stamp>)": the build decides
            if (running == null || !running.endsWith(" (build " + io.jlivepatch.internal.OwnBuild.stamp() + ")")) {
                connected.close();
                throw checkedHere;
            }
        }
        try (TargetJvm jvm = connected) {
            if (checkedHere == null) {
                warnIfOptionsIgnored(jvm);
                PatchCommand.warnIfWatched(spec, jvm);
            }
            long start = System.nanoTime();
            String rawName;
            try {
                rawName = loaded(out, jvm, content, path, patchJar != null ? patchJar.name() : manifestName(content));
            } catch (RuntimeException e) {
                throw TargetJvm.refusal(e);
            }
            if (rawName == null) { // its transition's closing callback holds the call: printed, exit 3
                out.printf("  sha256 %s, from %s%n", content.sha256(), Text.clean(path.toString()));
                return Main.TRANSITION_RUNNING;
            }
            String name = Text.clean(rawName);
            PatchMBean patch = jvm.patch(rawName);
            int code = Main.DONE;
            boolean unregistered = false; // by another operation since the load, and said so
            if (noEnable) {
                out.printf("'%s': registered in pid %d (not enabled)%n", name, jvm.pid());
            } else {
                boolean done = jvm.awaitTransition(rawName, wait.seconds(timeout));
                long ms = PatchCommand.msSince(start);
                if (!done) {
                    unregistered = !Transitions.printStillRunning(out, spec.commandLine().getErr(), jvm, rawName,
                            "enabled", "load", wait.seconds(timeout));
                    code = Main.TRANSITION_RUNNING;
                } else {
                    String undone;
                    try {
                        undone = PatchCommand.undone(jvm, rawName, true);
                    } catch (ControlChannel.OutcomeUnknown e) {
                        throw PatchCommand.enabledThenUnregistered(out, jvm, rawName, ms, e);
                    }
                    TargetJvm.Marks after = null;
                    if (undone != null) {
                        out.printf("'%s': registered and %s%n", name, undone);
                        code = Main.REFUSED;
                    } else {
                        try {
                            after = jvm.marks(rawName);
                        } catch (ControlChannel.OutcomeUnknown e) {
                            code = PatchCommand.endedThenUnregistered(out, spec.commandLine().getErr(), jvm, rawName,
                                    PatchCommand.completed(rawName, "enabled", jvm.pid(), "patching complete", ms, ""),
                                    "load", e);
                            unregistered = true; // said, with the note
                        }
                    }
                    if (after != null) {
                        out.println(PatchCommand.completed(rawName, "enabled", jvm.pid(), "patching complete", ms,
                                PatchCommand.forcedMeanwhile(false, after.forced())));
                        // A new registration: every failure its callbacks count came with this load (a postPatch).
                        PatchCommand.printCallbackFailures(out, CallbackFailures.NONE, after.failures());
                    }
                }
            }
            out.printf("  sha256 %s, from %s%n", content.sha256(), Text.clean(path.toString()));
            if (unregistered) {
                return code;
            }
            try {
                List<String> pendingClasses = List.of(patch.getPendingClasses());
                for (String pending : pendingClasses) {
                    out.printf("  warning: %s is loaded in no class loader: patched when defined: check the name"
                            + " (--require-loaded refuses this)%n", Text.clean(pending));
                }
                List<ReplacesScanner.Entry> entries = patchJar == null ? List.of() : replacements(patchJar);
                for (String reading : readingsWhenUnloaded(entries, pendingClasses)) {
                    out.printf("  warning: %s%n", Text.clean(reading));
                }
                // the target logs the same (PatchJarLoader)
                for (String selfCall : patchJar == null ? List.<String>of()
                        : ReplacesScanner.selfCallWarnings(patchJar, entries)) {
                    out.printf("  warning: %s%n", Text.clean(selfCall));
                }
                String[] functions = patch.getFunctions();
                for (String line : functions) {
                    out.println("  " + line);
                }
                if (!noEnable && code == Main.DONE) { // after "patching complete" only: see failedWarning
                    List<String> warnings = PatchCommand.warnings(jvm.pid(), rawName, functions,
                            () -> PatchCommand.enabledNow(jvm, rawName));
                    for (String warning : warnings) {
                        out.println("  " + warning);
                    }
                    if (PatchCommand.failing(warnings)) {
                        code = Main.FUNCTIONS_FAILED;
                    }
                }
            } catch (RuntimeException e) {
                if (!ControlChannel.unregisteredSince(e)) {
                    throw TargetJvm.refusal(e);
                }
                // The load took effect, and what was printed says so; another operation has unregistered
                // the patch since, which is no unknown outcome of this load (exit 4 contradicted it).
                spec.commandLine().getErr().println(PatchCommand.unregisteredSince(jvm.pid(), rawName, "load"));
            }
            return code;
        }
    }

    /**
     * Sends the load; returns the name the target registered the patch under, or {@code null} when it enables,
     * has not answered within --wait (shorter than --timeout), and its transition's closing callback holds the
     * call ({@link ClosingLook}, with the call's connection's token as the proof that it is this load's, or, from an
     * agent without the token, {@link #loadedHere}: printed, exit 3).
     *
     * @param expected the patch's name as its JAR says it, read here; {@code null} when the JAR was not (the
     *                 target judges it): the call's answer alone decides then
     */
    private String loaded(PrintWriter out, TargetJvm jvm, PatchJarBytes content, Path path, String expected)
            throws Refused, InterruptedException {
        long waitSeconds = wait.seconds(timeout);
        long commandPid = ProcessHandle.current().pid();
        ClosingLook.Outcome<String> o = ClosingLook.await(jvm.pid(), expected, "load", waitSeconds, timeout.seconds(),
                !noEnable && expected != null, jvm::sessionToken,
                (patch, asked) -> loadedHere(patch, content.sha256(), commandPid, asked),
                () -> jvm.livepatch().loadContent(content.bytes(), content.sha256(), path.toString(), !noEnable,
                        requireLoaded));
        if (o.held()) {
            ClosingLook.printHeld(out, jvm.pid(), expected, "enabled", waitSeconds, o.closing());
            return null; // the call is left to its daemon thread; the connection closes with the command
        }
        return o.answer();
    }

    /**
     * The name a JAR that the checks here refused (the target judges it) says in its manifest, which is the name
     * the target registers it under if it takes it; {@code null} when it cannot be read.
     */
    private static String manifestName(PatchJarBytes content) {
        try (java.util.jar.JarInputStream in = new java.util.jar.JarInputStream(
                new java.io.ByteArrayInputStream(content.bytes()))) {
            java.util.jar.Manifest m = in.getManifest();
            return m == null ? null : m.getMainAttributes().getValue(PatchJar.NAME);
        } catch (java.io.IOException | RuntimeException unreadable) {
            return null; // the call's answer alone decides
        }
    }

    /**
     * Whether status lists the patch ({@code patch}, its object there) as loaded from a JAR of {@code sha256} by
     * process {@code commandPid} (its provenance's {@code loadedBy}, {@code pid <commandPid> user ...}, as the
     * target names a command's requester) at or after {@code asked} (its {@code loadedAt}): a patch that an
     * earlier process of the same pid (a pid used again) loaded from the same JAR, and whose closing this load
     * waits for, is not this load's. Read through StatusJson: no description or path can pass for these fields.
     */
    static boolean loadedHere(StatusJson patch, String sha256, long commandPid, java.time.Instant asked) {
        StatusJson provenance = patch.object("provenance");
        String by = provenance.string("loadedBy");
        String at = provenance.string("loadedAt");
        if (!sha256.equals(provenance.string("sha256")) || by == null || !by.startsWith("pid " + commandPid + " ")
                || at == null) {
            return false;
        }
        try {
            return !java.time.Instant.parse(at).isBefore(asked); // the same clock: the target's, on this host
        } catch (java.time.format.DateTimeParseException notATime) {
            return false;
        }
    }

    /** The JAR's replacements, read as the target read them; none when they cannot be. */
    private static List<ReplacesScanner.Entry> replacements(PatchJar jar) {
        try {
            return ReplacesScanner.scan(jar);
        } catch (PatchException e) {
            return List.of(); // the target accepted the JAR: its own reading stands, and what follows is only a hint
        }
    }

    /** What the JAR's replacements without a descriptor for a class loaded nowhere may be read wrong as. */
    private static List<String> readingsWhenUnloaded(List<ReplacesScanner.Entry> entries, List<String> pending) {
        List<String> out = new java.util.ArrayList<>();
        for (ReplacesScanner.Entry e : entries) {
            String reading = pending.contains(e.target()) ? PatchJarLoader.readingWhenUnloaded(e) : null;
            if (reading != null) {
                out.add(reading);
            }
        }
        return out;
    }
}
