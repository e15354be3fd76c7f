package io.jlivepatch.agent.cli;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import io.jlivepatch.Patch;
import io.jlivepatch.agent.AgentMain;
import io.jlivepatch.control.LivepatchMBean;
import io.jlivepatch.control.PatchMBean;
import io.jlivepatch.control.WaitingThread;
import io.jlivepatch.internal.Text;
import io.jlivepatch.control.LocalChannel;

import java.io.IOException;
import java.lang.reflect.UndeclaredThrowableException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * A JVM reached through the attach API, only to read where its jlivepatch control socket is (and to
 * load the agent when it is absent), then through that socket ({@link ControlChannel}): no network
 * port is opened in the target, and the JDK's JMX connector is never started. Every step towards
 * it is bounded by the command's {@code --timeout}: attaching and connecting together by one
 * {@link Deadline}, then each call by one of its own.
 */
final class TargetJvm implements AutoCloseable {

    /**
     * Tests (ControlSocketLostIT, by reflection): runs with the socket's path just before each connect,
     * where a test deletes the socket as jlivepatch's replacement of it would between the command's read
     * of its path and the connect. {@code null}: nothing.
     */
    static volatile java.util.function.Consumer<String> beforeConnectForTests;

    /**
     * Tests (StandInAgent): the path of a stand-in agent's control socket, connected to at
     * once in place of attaching to the pid, so that a test decides what each call after a change
     * answers (a patch unregistered at an exact point). {@code null}: attach, as always.
     */
    static volatile String standInSocketForTests;

    private final long pid;
    private final ControlChannel channel;
    private final String agentVersion;
    /** Whether this connection loaded jlivepatch into the JVM, with the options it was given. */
    private final boolean loadedTheAgent;

    private TargetJvm(long pid, ControlChannel channel, String agentVersion, boolean loadedTheAgent) {
        this.pid = pid;
        this.channel = channel;
        this.agentVersion = agentVersion;
        this.loadedTheAgent = loadedTheAgent;
    }

    /**
     * Attaches to {@code pid}; with {@code loadAgent}, loads jlivepatch first when it is not there.
     *
     * @throws NotLoaded         when jlivepatch is absent and {@code loadAgent} is false
     * @throws Refused           when there is no such JVM, or it cannot be attached
     * @throws Deadline.NoAnswer when the JVM did not answer within {@code timeoutSeconds}
     */
    static TargetJvm attach(long pid, boolean loadAgent, long timeoutSeconds) throws Refused {
        return connect(pid, loadAgent ? "" : null, timeoutSeconds);
    }

    /** jlivepatch is not loaded in the JVM asked, and the command was not to load it. */
    static final class NotLoaded extends Refused {

        private static final long serialVersionUID = 1L;

        private final transient String failure;

        NotLoaded(long pid, String failure) {
            this(pid, failure, null);
        }

        /** @param tooOld why jlivepatch cannot be loaded there ({@link AgentJar#tooOldFor}), or null */
        NotLoaded(long pid, String failure, String tooOld) {
            super("jlivepatch is not loaded in pid " + pid + (tooOld != null ? ", nor can it be: " + tooOld
                    : (failure == null ? "" : " (its installation failed: " + Text.clean(failure) + "; the target's log"
                    + " has the details)") + ": 'jlivepatch load " + pid + " <patch.jar>' loads it"));
            this.failure = failure;
        }

        /** Why an installation there failed (its jlivepatch.agent.failure), or null: none was tried, or none failed. */
        String failure() {
            return failure;
        }
    }

    /**
     * jlivepatch's installation, started with the JVM on a thread of its own, had not ended when the
     * command's time ran out; nothing was asked of it.
     */
    static final class StillInstalling extends Refused {

        private static final long serialVersionUID = 1L;

        private final long runningSeconds;

        StillInstalling(long pid, long waitedSeconds, String startedMillis) {
            this(pid, waitedSeconds, runningSeconds(startedMillis));
        }

        private StillInstalling(long pid, long waitedSeconds, long runningSeconds) {
            super("jlivepatch is still being installed in pid " + pid + " (its installation, started with the JVM"
                    + (runningSeconds < 0 ? "" : " " + runningSeconds + " s ago") + ", did not end within "
                    + waitedSeconds + " s; the application runs meanwhile): nothing was asked of it; try again, or"
                    + " give a longer --timeout, and 'jlivepatch list' shows it loaded once it is");
            this.runningSeconds = runningSeconds;
        }

        /** How long the installation had run when the command gave up, in seconds, or -1 when the JVM did not say. */
        long runningSeconds() {
            return runningSeconds;
        }

        /** From {@link AgentMain#INSTALLING_PROPERTY}'s value; -1 for one that is not a time (or one ahead of this clock). */
        static long runningSeconds(String startedMillis) {
            try {
                long ms = System.currentTimeMillis() - Long.parseLong(startedMillis.trim());
                return ms < 0 ? -1 : ms / 1000;
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    /**
     * Connects to jlivepatch in {@code pid}.
     *
     * @param agentOptions the options to load the agent with when it is absent, or {@code null} not to load it
     * @throws NotLoaded when jlivepatch is not loaded there and {@code agentOptions} is {@code null}
     */
    static TargetJvm connect(long pid, String agentOptions, long timeoutSeconds) throws Refused {
        String standIn = standInSocketForTests;
        if (standIn != null) {
            try {
                ControlChannel channel = ControlChannel.connect(pid, standIn, Deadline.in(pid, timeoutSeconds),
                        timeoutSeconds);
                return new TargetJvm(pid, channel, channel.version(), false);
            } catch (Refused e) {
                throw e;
            } catch (Exception e) {
                throw failed(pid, e);
            }
        }
        JvmProcess.check(pid);
        String noRoom = AttachHeadroom.refusal(pid);
        if (noRoom != null) {
            throw new Refused(noRoom); // attaching would start a thread it has no room for: the JVM would exit
        }
        JdkTimeouts.apply(timeoutSeconds);
        Deadline connecting = Deadline.in(pid, timeoutSeconds);
        VirtualMachine vm;
        try {
            vm = connecting.run("attaching", () -> VirtualMachine.attach(Long.toString(pid)));
        } catch (Deadline.NoAnswer late) {
            // the attach API's wait goes on, on a daemon thread this command's exit ends with its clean-up
            String left = AttachTrigger.afterTimeout(pid);
            throw left == null ? late : new Deadline.NoAnswer(late.getMessage() + "; " + left, late.fact() + "; " + left);
        } catch (AttachNotSupportedException | IOException e) {
            throw new Refused("cannot attach to pid " + pid + " (" + e.getMessage() + "): it must be a JVM run by"
                    + " the same user, without -XX:+DisableAttachMechanism; 'jlivepatch list' shows the local JVMs", e);
        } catch (RuntimeException | Refused e) {
            throw e;
        } catch (Exception e) {
            throw failed(pid, e);
        }
        AttachTrigger.removeStale(pid); // an earlier command's, left at its timeout: the JVM answers now
        String socket;
        String version;
        // why the last attach that asked to reopen the socket failed: the JVM's refusal of it, or
        // jlivepatch's own (jlivepatch.agent.failure)
        String askedFailure = null;
        String askRefused = null;
        boolean loaded = false;
        try {
            Properties props = systemProperties(vm, connecting);
            // First: an attach that asks for the socket again runs jlivepatch's code in the JVM too.
            refuseIfOverwritten(pid, props);
            socket = props.getProperty(LocalChannel.PROPERTY);
            if (socket == null && props.getProperty(AgentMain.VERSION_PROPERTY) == null
                    && (agentOptions != null || props.getProperty(AgentMain.INSTALLING_PROPERTY) == null)) {
                // (While the start-up's installation runs aside, a command that does not load the
                // agent waits for it below, as for the socket: it is coming.)
                String tooOld = AgentJar.tooOldFor(props.getProperty("java.specification.version"),
                        props.getProperty("java.version"));
                if (agentOptions == null) {
                    throw new NotLoaded(pid, props.getProperty(AgentMain.FAILURE_PROPERTY), tooOld);
                }
                if (tooOld != null) {
                    throw new Refused("jlivepatch could not be loaded into pid " + pid + ": " + tooOld + "; nothing was"
                            + " loaded");
                }
                String agent = AgentJar.path().toString();
                String tooLong = AgentJar.tooLongForTheAttach(agent, agentOptions,
                        props.getProperty("java.specification.version"));
                String unloadable = AgentJar.unloadableFrom(agent);
                if (unloadable != null) {
                    throw new Refused("jlivepatch could not be loaded into pid " + pid + ": " + unloadable
                            + "; nothing was loaded");
                }
                String unseen = AgentJar.unseenBy(pid, Paths.get(agent));
                if (tooLong != null || unseen != null) {
                    throw new Refused("jlivepatch could not be loaded into pid " + pid + ": " + (unseen == null ? tooLong
                            : unseen + ": copy jlivepatch-agent.jar to that path in its file system, or start the JVM"
                            + " with -javaagent:jlivepatch-agent.jar; nothing was loaded"));
                }
                try {
                    connecting.run("loading the agent", () -> {
                        vm.loadAgent(agent, agentOptions.isEmpty() ? null : agentOptions);
                        return null;
                    });
                    loaded = true;
                } catch (Deadline.NoAnswer late) {
                    // The JVM has the request and may load the agent once it answers again.
                    throw new ControlChannel.OutcomeUnknown(late.fact() + "; it had been asked to load"
                            + " jlivepatch and may still do so: 'jlivepatch list' shows whether it did", late);
                }
                // agentmain has returned: its outcome (a failure of an earlier start is cleared by a success)
                props = systemProperties(vm, connecting);
                socket = props.getProperty(LocalChannel.PROPERTY);
                if (socket == null && props.getProperty(AgentMain.VERSION_PROPERTY) == null
                        && props.getProperty(AgentMain.FAILURE_PROPERTY) == null
                        && props.getProperty(AgentMain.PENDING_PROPERTY) == null) {
                    // Not installed, and not even its failure recorded: a JVM that may not let it write a
                    // system property, a SecurityManager's. Said now: no socket is coming to wait for.
                    throw new Refused("jlivepatch could not be installed in pid " + pid + ", nor record why"
                            + securityManager(props, agent) + "; the target's log has the details, and the"
                            + " application runs without it");
                }
            } else if (socket != null && !Files.exists(ControlChannel.reachable(pid, socket), LinkOption.NOFOLLOW_LINKS)) {
                // Deleted (a clean-up of the temporary directory): jlivepatch opens it again when the
                // agent is attached once more, as the JDK re-creates its own attach socket.
                askRefused = askToReopen(vm, connecting);
                props = systemProperties(vm, connecting);
                socket = props.getProperty(LocalChannel.PROPERTY);
                askedFailure = askedFailure(askRefused, props);
            }
            long askAfter = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
            boolean asked = false;
            while (socket == null) {
                // jlivepatch opens its socket from a thread of its own, off the application's start-up
                String failure = props.getProperty(AgentMain.FAILURE_PROPERTY);
                if (failure != null && props.getProperty(AgentMain.VERSION_PROPERTY) == null) {
                    if (agentOptions == null) {
                        throw new NotLoaded(pid, failure); // the start-up's installation, waited for, failed
                    }
                    throw new Refused("jlivepatch could not be installed in pid " + pid + ": " + Text.clean(failure)
                            + "; the target's log has the details, and the application runs without it");
                }
                if (connecting.passed()) {
                    throw socketDidNotOpen(pid, props, agentOptions != null, connecting, askedFailure);
                }
                String notOpened = props.getProperty(io.jlivepatch.internal.control.ControlServer.FAILURE_PROPERTY);
                if (notOpened != null && props.getProperty(AgentMain.VERSION_PROPERTY) != null) {
                    if (asked) {
                        // tried again at the attach that asked, and failed again: its reason, now
                        throw new Refused("jlivepatch is loaded in pid " + pid + " but its control socket could not"
                                + " be opened: " + Text.clean(notOpened) + (askRefused == null ? ""
                                : " (asked to try again: " + Text.clean(askRefused) + ")"));
                    }
                    asked = true; // at once: the reason may have passed (descriptors freed)
                    askRefused = askToReopen(vm, connecting);
                    props = systemProperties(vm, connecting);
                    socket = props.getProperty(LocalChannel.PROPERTY);
                    continue;
                }
                if (!asked && props.getProperty(AgentMain.VERSION_PROPERTY) != null && System.nanoTime() - askAfter > 0) {
                    // Loaded, but its socket did not open (the directory could not be written, descriptors
                    // ran out): an attach of the agent tries again.
                    asked = true;
                    askRefused = askToReopen(vm, connecting);
                }
                Thread.sleep(10);
                if (connecting.passed()) {
                    throw socketDidNotOpen(pid, props, agentOptions != null, connecting, askedFailure); // it answered, without a socket
                }
                long polled = System.nanoTime();
                try {
                    props = systemProperties(vm, connecting);
                } catch (Deadline.NoAnswer late) {
                    if (System.nanoTime() - polled < java.util.concurrent.TimeUnit.SECONDS.toNanos(1)) {
                        // The time ran out during this poll, 10 ms after the last answer: the JVM answers,
                        // without a socket, as above (not "did not answer", which a race with the end said).
                        throw socketDidNotOpen(pid, props, agentOptions != null, connecting, askedFailure);
                    }
                    throw late;
                }
                if (asked) {
                    askedFailure = askedFailure(askRefused, props);
                }
                socket = props.getProperty(LocalChannel.PROPERTY);
            }
            version = props.getProperty(AgentMain.VERSION_PROPERTY);
            // Again, as it is now: jlivepatch may have started there meanwhile (its installation
            // records the JAR), or the JAR may have been overwritten while the socket was awaited.
            refuseIfOverwritten(pid, props);
        } catch (AgentLoadException | AgentInitializationException e) {
            throw new Refused("pid " + pid + " refused the jlivepatch agent (" + e.getMessage() + "); on JDK 21+"
                    + " start it with -XX:+EnableDynamicAgentLoading or with -javaagent", e);
        } catch (IOException e) {
            throw new Refused("talking to pid " + pid + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refused("interrupted while attaching to pid " + pid, e);
        } catch (RuntimeException | Refused e) {
            throw e;
        } catch (Exception e) {
            throw failed(pid, e);
        } finally {
            try {
                vm.detach(); // local: forgets the attach socket, sends nothing
            } catch (IOException ignored) {
                // the control socket does not depend on the attach channel
            }
        }
        for (boolean askedAgain = false; ; askedAgain = true) {
            try {
                java.util.function.Consumer<String> hook = beforeConnectForTests;
                if (hook != null) {
                    hook.accept(socket);
                }
                return new TargetJvm(pid, ControlChannel.connect(pid, socket, connecting, timeoutSeconds), version, loaded);
            } catch (IOException e) {
                boolean gone = !Files.exists(ControlChannel.reachable(pid, socket), LinkOption.NOFOLLOW_LINKS);
                if (!askedAgain && (gone || e instanceof java.net.ConnectException)) {
                    // Refused on a file that is there: nothing accepts on it (its socket closed after a
                    // failure and the file stayed, or a file replaced it). Lost as a deleted one is: the
                    // agent, attached once more, opens a new socket; then one more connect. Gone since its
                    // path was read: jlivepatch replaced it meanwhile (another command's attach reopened it,
                    // or, in an agent before 2026-12-07, an interrupt of its accepting thread did: the
                    // properties name the new path) or a clean-up deleted it:
                    // the same attach reads the path again, and asks for a new socket if none is there.
                    String[] again = askAgain(pid, connecting, socket, e);
                    socket = again[0];
                    askedFailure = again[1];
                    continue;
                }
                boolean denied = e instanceof java.nio.file.AccessDeniedException
                        || String.valueOf(e.getMessage()).contains("ermission denied");
                throw new Refused("cannot reach jlivepatch in pid " + pid + " through " + Text.clean(socket) + " ("
                        + e.getMessage() + ")" + (gone || askedAgain ? ": the socket is " + (gone ? "gone" : "there but"
                        + " refuses connections") + " and jlivepatch did not open it again" + (askedFailure != null
                        ? " (" + Text.clean(askedFailure) + ")" : "; the target's log says why") : denied
                        ? ": run jlivepatch as the JVM's user" : ""), e);
            } catch (RuntimeException | Refused e) {
                throw e;
            } catch (Exception e) {
                throw failed(pid, e);
            }
        }
    }

    /**
     * Attaches once more to ask jlivepatch to open its control socket again, after {@code refused}
     * (a connection refused on {@code socket}'s file), within the same deadline.
     *
     * @return the socket's path after it (the one before when none is published), and why the asking
     *         attach failed or null
     */
    private static String[] askAgain(long pid, Deadline connecting, String socket, IOException refused)
            throws Refused {
        try {
            VirtualMachine vm = connecting.run("attaching", () -> VirtualMachine.attach(Long.toString(pid)));
            try {
                String askRefused = askToReopen(vm, connecting);
                Properties props = systemProperties(vm, connecting);
                String now = props.getProperty(LocalChannel.PROPERTY);
                return new String[] {now != null ? now : socket, askedFailure(askRefused, props)};
            } finally {
                try {
                    vm.detach();
                } catch (IOException ignored) {
                    // the control socket does not depend on the attach channel
                }
            }
        } catch (RuntimeException | Refused e) {
            throw e;
        } catch (Exception e) {
            throw new Refused("cannot reach jlivepatch in pid " + pid + " through " + Text.clean(socket) + " ("
                    + refused.getMessage() + "), and the attach that asks it to open its socket again failed: " + e, e);
        }
    }

    /**
     * Before anything is asked of the JVM, an attach included: a command that reached jlivepatch's
     * classes in a JAR overwritten since would stop where it first needs one, for good
     * (OverwrittenAgentJar).
     */
    private static void refuseIfOverwritten(long pid, Properties props) throws Refused {
        String overwritten = OverwrittenAgentJar.refusal(pid, props);
        if (overwritten != null) {
            throw new Refused(overwritten);
        }
    }

    /**
     * Attaches the agent once more, with no options: jlivepatch, which runs there already, then opens
     * its control socket again if it is gone (ControlServer.reopenIfLost). Whatever else goes wrong
     * here, the connect that follows says what it finds.
     *
     * @return why the JVM refused that attach (JDK 21+ with -XX:-EnableDynamicAgentLoading refuses
     *         every agent after start-up, jlivepatch's own too), or why it was not asked (it has no file
     *         at the agent's path, or cannot load an agent from that path), or null
     */
    private static String askToReopen(VirtualMachine vm, Deadline connecting) throws Exception {
        String agent = AgentJar.path().toString();
        String unloadable = AgentJar.unloadableFrom(agent);
        if (unloadable != null) {
            return unloadable + ", and the next command has it open the socket again"; // not asked, as below
        }
        String unseen = AgentJar.unseenBy(Long.parseLong(vm.id()), Paths.get(agent));
        if (unseen != null) {
            // not asked: the JVM would refuse the path in its application's standard error
            return unseen + "; copy jlivepatch-agent.jar to that path in its file system, and the next command has it"
                    + " open the socket again";
        }
        try {
            connecting.run("asking jlivepatch to open its control socket again", () -> {
                vm.loadAgent(agent, null);
                return null;
            });
            return null;
        } catch (AgentLoadException e) {
            // Nothing reached jlivepatch, so nothing is in the target's log: the refusal is all there is.
            String why = "the JVM refused the attach that asks for it: " + e.getMessage();
            // JDK 21+ with -XX:-EnableDynamicAgentLoading: no attach of an agent will ever be taken
            return why.contains("EnableDynamicAgentLoading") ? why + " The socket comes back at the JVM's next start;"
                    + " keep its directory out of temporary-file clean-ups" : why;
        } catch (AgentInitializationException | IOException e) {
            return null; // the socket stays as it was; the connect that follows reports it
        }
    }

    /**
     * Why the attach that asked to reopen the socket did not get one: the JVM's refusal of it
     * ({@code askRefused}), else jlivepatch's failure to install, else the socket's own failure to
     * open (both properties are cleared by an attach that worked), or null.
     */
    private static String askedFailure(String askRefused, Properties props) {
        if (askRefused != null) {
            return askRefused;
        }
        String failure = props.getProperty(AgentMain.FAILURE_PROPERTY);
        return failure != null ? failure : props.getProperty(io.jlivepatch.internal.control.ControlServer.FAILURE_PROPERTY);
    }

    /**
     * {@link #socketDidNotOpen(long, Deadline, String)}, unless jlivepatch is not installed there at all
     * yet: the agent this command attached ({@code attachedAgent}) found the start-up's own installation
     * still running ({@link AgentMain#PENDING_PROPERTY}), or that installation still runs
     * ({@link AgentMain#INSTALLING_PROPERTY}: {@link StillInstalling}).
     */
    private static Refused socketDidNotOpen(long pid, Properties props, boolean attachedAgent, Deadline connecting,
                                            String why) {
        String pending = props.getProperty(AgentMain.PENDING_PROPERTY);
        if (attachedAgent && pending != null && props.getProperty(AgentMain.VERSION_PROPERTY) == null) {
            // the agent this command attached found that installation still running: its words say why
            return new Refused("jlivepatch is not installed in pid " + pid + " yet, nor did it install within "
                    + connecting.seconds() + " s: " + Text.clean(pending) + "; nothing was loaded");
        }
        String since = props.getProperty(AgentMain.INSTALLING_PROPERTY);
        if (since != null && props.getProperty(AgentMain.VERSION_PROPERTY) == null) {
            return new StillInstalling(pid, connecting.seconds(), since);
        }
        return socketDidNotOpen(pid, connecting, why);
    }

    /** @param why the asking attach's failure (jlivepatch.agent.failure), or null: then the target's log has it */
    private static Refused socketDidNotOpen(long pid, Deadline connecting, String why) {
        return new Refused("jlivepatch is loaded in pid " + pid + " but its control socket did not open within "
                + connecting.seconds() + " s, nor when asked again" + (why != null ? ": " + Text.clean(why)
                : "; the target's log says why (its temporary directory not writable, or out of file descriptors,"
                + " say)"));
    }

    /**
     * What a SecurityManager must grant the agent, for the refusal of a JVM where jlivepatch could
     * not even record its failure: the one cause known (its policy refusing a system property).
     */
    private static String securityManager(Properties props, String agent) {
        String grant = "grant codeBase \"" + Paths.get(agent).toUri() + "\" { permission java.security.AllPermission; };";
        String sm = props.getProperty("java.security.manager");
        if (sm == null || sm.equals("disallow")) {
            // an application may set one in code, with the property unset
            return " (a SecurityManager the application set, say, whose policy must grant the agent JAR every"
                    + " permission: " + grant + ")";
        }
        return ": the JVM runs with -Djava.security.manager" + (sm.isEmpty() ? "" : "=" + sm) + ", and a"
                + " SecurityManager's policy must grant the agent JAR every permission (" + grant + "), then load again";
    }

    /** {@link #systemProperties(Deadline.Step)} of {@code vm}, each read within {@code connecting}. */
    private static Properties systemProperties(VirtualMachine vm, Deadline connecting) throws Exception {
        return systemProperties(() -> connecting.run("reading its system properties", vm::getSystemProperties));
    }

    /** How many times {@link #systemProperties} reads when a property was removed meanwhile. */
    private static final int PROPERTY_READS = 5;

    /**
     * The target's system properties, as {@code read} reads them. The JDK copies them key by key
     * (jdk.internal.vm.VMSupport.onlyStrings: the keys, then each value), and a property removed in
     * between (jlivepatch's installation clears its pending and failure properties while a command
     * polls; an application may remove its own) fails the copy with a NullPointerException in the
     * target, which the attach API hands back as an IOException "java.lang.NullPointerException":
     * read again, a few times, as nothing is wrong with the JVM (TrustEnforcementIT saw it on JDK 25).
     */
    static Properties systemProperties(Deadline.Step<Properties> read) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return read.run();
            } catch (IOException e) {
                if (attempt >= PROPERTY_READS || !String.valueOf(e.getMessage()).startsWith("java.lang.NullPointerException")) {
                    throw e;
                }
            }
        }
    }

    private static Refused failed(long pid, Exception e) {
        return new Refused("talking to pid " + pid + " failed: " + e, e);
    }

    long pid() {
        return pid;
    }

    /** The version and build of jlivepatch in the target, as it publishes them ({@code "<version> (build <stamp>)"}); null if unknown. */
    String agentVersion() {
        return agentVersion;
    }

    /** Whether this connection loaded jlivepatch (with the agent options given to {@link #connect}); false when it ran there already. */
    boolean loadedTheAgent() {
        return loadedTheAgent;
    }

    LivepatchMBean livepatch() {
        return channel.livepatch();
    }

    /**
     * This connection's token ({@link ClosingLook}), which the changes it asks for carry to their closing;
     * {@code null} from an agent before it, which refuses the call (nothing on record: it reads as a read), or, built
     * from 2026-12-01 to 2026-12-03, answers it as failed ({@link ControlChannel.TargetFailure}, nothing on record
     * either; the connection goes on): the change is then sent without it, as to any agent before the token. A target
     * that does not answer, or a channel that fails, is thrown as for any call.
     */
    String sessionToken() throws Refused {
        try {
            return channel.session().getSessionToken();
        } catch (ControlChannel.TargetRefusal olderAgent) {
            return null;
        } catch (UndeclaredThrowableException e) {
            if (e.getCause() instanceof ControlChannel.TargetFailure) {
                return null; // an agent of 2026-12-01 to 12-03: FAILED for a call it lacks
            }
            throw refusal(e);
        } catch (RuntimeException e) {
            throw refusal(e);
        }
    }

    /**
     * The closing callback of {@code patch} running now when its closing's call came over the connection whose
     * token is {@code token} ({@link #sessionToken}); else {@code null}. Raw: the caller cleans it.
     */
    String ownClosing(String patch, String token) {
        return channel.session().statusOfOwnClosing(patch, token);
    }

    /**
     * The directory a watch keeps this JVM's patches as, or {@code ""} when none does. A target that
     * refuses the read (an agent without watches) counts as none: the answer only decides a warning.
     * A target that does not answer, or a channel that fails, is thrown as for any call.
     */
    String watchedDirectory() throws Refused {
        try {
            String directory = livepatch().getWatchedDirectory();
            return directory == null ? "" : directory;
        } catch (RuntimeException e) {
            Refused r = refusal(e);
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof Deadline.NoAnswer || c instanceof IOException) {
                    throw r;
                }
            }
            return "";
        }
    }

    /** No patch of the name asked is registered, as the target lists its patches. */
    static final class NoSuchPatch extends Refused implements ControlChannel.NotRegistered {

        private static final long serialVersionUID = 1L;

        NoSuchPatch(String message) {
            super(message);
        }
    }

    /** The MBean of a registered patch. */
    PatchMBean patch(String name) throws Refused {
        try {
            String[] all = livepatch().getPatches();
            if (!Patch.isValidName(name) || !Arrays.asList(all).contains(name)) {
                String why = "no patch '" + Text.clean(name) + "' is registered in pid " + pid + " (registered: "
                        + (all.length == 0 ? "none" : Text.clean(String.join(", ", all))) + ")";
                // after a change of this command (unregistered meanwhile by another): no refusal, and
                // recognizable as that (ControlChannel.unregisteredSince); before one, the refusal
                throw channel.afterChange(why, new NoSuchPatch(why));
            }
        } catch (RuntimeException e) {
            throw refusal(e);
        }
        return channel.patch(name);
    }

    void setEnabled(String patch, boolean enabled) throws Refused {
        PatchMBean p = patch(patch);
        try {
            p.setEnabled(enabled);
        } catch (RuntimeException e) {
            throw refusal(e);
        }
    }

    /**
     * Waits until the patch is out of transition.
     *
     * @return whether it is, within {@code seconds}
     */
    boolean awaitTransition(String patch, long seconds) throws Refused, InterruptedException {
        PatchMBean p = patch(patch);
        Deadline transition = Deadline.in(pid, seconds);
        try {
            while (p.isTransition()) {
                if (transition.passed()) {
                    return false;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    // after this command's change (the --wait loop): an unknown outcome, exit 4, status first; it
                    // was an InterruptedException that the command printed as a failure, exit 1 (nothing changed)
                    Thread.currentThread().interrupt();
                    String why = "interrupted while waiting for the transition of '" + Text.clean(patch) + "' in pid "
                            + pid + " to end";
                    throw channel.afterChange(why, new Refused(why, e));
                }
            }
        } catch (RuntimeException e) {
            throw refusal(e);
        }
        return true;
    }

    /**
     * What a change command compares before and after its change, from one status read: whether a
     * transition of the patch was ever forced, and its callback failures. One read, not one per mark: a
     * status lists every function of every patch (reading class files for the note on other agents' code),
     * and each read before the change is one more that can time out and refuse a change that would have
     * worked.
     */
    record Marks(boolean forced, CallbackFailures.Seen failures, boolean transition, Boolean enabled) {
    }

    /**
     * The {@link Marks} of {@code patch} as the target's status says them now.
     *
     * @throws NoSuchPatch when the patch is not registered, before a change of this command; after one, an
     *                     {@link ControlChannel.OutcomeUnknown} that is {@link ControlChannel#unregisteredSince}
     */
    Marks marks(String patch) throws Refused {
        String json;
        try {
            json = livepatch().statusJson();
        } catch (RuntimeException e) {
            throw refusal(e);
        }
        StatusJson object = StatusJson.patch(json, patch);
        if (object == StatusJson.NOT_LISTED) {
            // Unregistered since, most likely (after a change of this command: another operation's): the
            // command's own look says so as every call's does, so that no caller takes a patch gone for one
            // never forced and without failures. Listed there (registered again since): as without the fields.
            patch(patch);
        }
        // a forced patch stays marked; an agent before the field, or unreadable status: false
        // transition: whether one ran then; enable/disable --wait's look claims a closing callback only when not
        // enabled: the state its transition moves threads to (force's words for the code they leave); null when
        // status does not say (unreadable)
        return new Marks(object.isTrue("forced"), CallbackFailures.of(object), object.isTrue("transition"),
                object.bool("enabled"));
    }

    /**
     * The object of {@code patch} in the target's status now ({@link StatusJson#UNREADABLE} when that is not
     * status): the closing callback running, the last failure to end its transition.
     *
     * @throws NoSuchPatch as {@link #marks}: status lists its patches, not this one, nor does the command's look
     */
    StatusJson patchStatus(String patch) throws Refused {
        String json;
        try {
            json = livepatch().statusJson();
        } catch (RuntimeException e) {
            throw refusal(e);
        }
        StatusJson listed = StatusJson.patch(json, patch);
        if (listed == StatusJson.NOT_LISTED) {
            patch(patch); // as marks: a patch gone has no callback running, and no force ends its transition
        }
        return listed;
    }

    /** The threads that hold the patch's transition, as the target lists them. */
    List<String> waitingThreads(String patch) throws Refused {
        List<String> out = new ArrayList<>();
        try {
            for (WaitingThread w : patch(patch).getWaiting()) {
                out.add(Text.clean(w.toString()));
            }
        } catch (RuntimeException e) {
            throw refusal(e);
        }
        return out;
    }

    /**
     * The refusal inside an exception of a call: the target's message, which starts with the reason,
     * cleaned; or the message of a {@link Deadline.NoAnswer}. A {@link ControlChannel.OutcomeUnknown}
     * is thrown as it is: it is no refusal.
     */
    static Refused refusal(Throwable t) {
        Throwable c = t;
        while (c instanceof UndeclaredThrowableException && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof ControlChannel.OutcomeUnknown) {
            throw (ControlChannel.OutcomeUnknown) c; // not a refusal: the target may have changed
        }
        if (c instanceof Deadline.NoAnswer) {
            return new Refused(c.getMessage(), t);
        }
        if (c instanceof Refused) {
            return (Refused) c;
        }
        if (c instanceof IOException) {
            return new Refused("talking to the target failed: " + Text.clean(String.valueOf(c.getMessage())), t);
        }
        return new Refused(Text.clean(c.getMessage() != null ? c.getMessage() : c.toString()), t);
    }

    @Override
    public void close() {
        channel.close();
    }
}
