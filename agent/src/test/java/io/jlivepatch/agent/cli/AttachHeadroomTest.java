package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A JVM with no attach listener is refused when a thread limit that applies to it is within
 * {@link AttachHeadroom#MARGIN} of being reached; anything unknown lets the attach through. Run on
 * fake /proc and /sys/fs/cgroup trees.
 */
class AttachHeadroomTest {

    private static final long PID = 4242;
    private static final String CONSEQUENCE = ": attaching would make the JVM start its attach listener,"
            + " and a JVM that cannot start it exits; free threads or raise the limit, then retry";

    @TempDir
    Path tmp;
    private Path proc;
    private Path cgroup;

    @BeforeEach
    void tree() throws IOException {
        proc = Files.createDirectories(tmp.resolve("proc"));
        cgroup = Files.createDirectories(tmp.resolve("cgroup"));
    }

    private String refusal() {
        return AttachHeadroom.refusal(PID, proc, cgroup);
    }

    // ---- building the fake trees

    private Path process(long pid, long uid, long threads) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)));
        write(dir.resolve("status"), "Name:\tjava\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid
                + "\nThreads:\t" + threads + "\nCapEff:\t0000000000000000\n");
        write(dir.resolve("task/" + pid + "/comm"), "java\n");
        return dir;
    }

    private void nproc(String soft) throws IOException {
        write(proc.resolve(PID + "/limits"), "Limit                     Soft Limit           Hard Limit           Units     \n"
                + "Max cpu time              unlimited            unlimited            seconds   \n"
                + "Max processes             " + soft + "                  " + soft + "                  processes \n");
    }

    /** The target (uid 1000, 200 threads) and another of its user's processes with {@code more}. */
    private void userRuns(long more) throws IOException {
        process(PID, 1000, 200);
        process(17, 1000, more);
        process(18, 1001, 5000); // another user's threads count against no limit of ours
    }

    private void listener() throws IOException {
        write(proc.resolve(PID + "/task/4250/comm"), "Attach Listener\n");
    }

    private void cgroupLine(String line) throws IOException {
        write(proc.resolve(PID + "/cgroup"), line + "\n");
    }

    private void pids(String dir, String max, String current) throws IOException {
        write(cgroup.resolve(dir).resolve("pids.max"), max + "\n");
        write(cgroup.resolve(dir).resolve("pids.current"), current + "\n");
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private static String refused(String why) {
        return "pid " + PID + " has no room for another thread (" + why + ")" + CONSEQUENCE;
    }

    private static String userWhy(long used, long limit) {
        return "its user runs " + used + " of " + limit + " processes/threads allowed by its limit 'Max processes'";
    }

    // ---- no limit, or far from it

    @Test
    void noLimitAnywhereLetsTheAttachThrough() throws IOException {
        userRuns(100_000);
        nproc("unlimited");
        cgroupLine("0::/");
        write(cgroup.resolve("pids.current"), "100000\n"); // the root has no pids.max
        assertNull(refusal());
    }

    @Test
    void aUserFarFromItsLimitIsLetThrough() throws IOException {
        userRuns(50);
        nproc("4096");
        assertNull(refusal());
    }

    // ---- RLIMIT_NPROC

    @Test
    void aUserWithOnlyTheMarginLeftIsRefusedNamingTheLimit() throws IOException {
        userRuns(42); // 242 of 250: 8 left
        nproc("250");
        assertEquals(refused(userWhy(242, 250)), refusal());
    }

    @Test
    void aUserWithOneMoreThanTheMarginLeftIsLetThrough() throws IOException {
        userRuns(41); // 241 of 250: 9 left, the listener's and the margin
        nproc("250");
        assertNull(refusal());
    }

    @Test
    void aUserAtItsLimitIsRefusedThoughTheHostCountIsReadFromLoadavg() throws IOException {
        userRuns(50);
        nproc("250");
        write(proc.resolve("loadavg"), "0.10 0.20 0.30 3/5300 999\n");
        assertEquals(refused(userWhy(250, 250)), refusal());
    }

    @Test
    void aHostRunningFewerThreadsThanTheUserLimitNeedsNoCountOfTheUser() throws IOException {
        userRuns(50); // the statuses say 250, but the host runs 100 in all: the user cannot run more
        nproc("250");
        write(proc.resolve("loadavg"), "0.10 0.20 0.30 3/100 999\n");
        assertNull(refusal());
    }

    @Test
    void aProcessEndingWhileTheUserIsCountedIsLeftOut() throws IOException {
        userRuns(50);
        Files.createDirectories(proc.resolve("19")); // listed, but its status is gone
        nproc("250");
        assertEquals(refused(userWhy(250, 250)), refusal());
    }

    @Test
    void rootIsNotHeldByMaxProcesses() throws IOException {
        process(PID, 0, 300);
        nproc("250");
        assertNull(refusal());
    }

    @Test
    void aProcessWithCapSysResourceIsNotHeldByMaxProcesses() throws IOException {
        userRuns(50);
        nproc("250");
        write(proc.resolve(PID + "/status"), "Uid:\t1000\t1000\t1000\t1000\nThreads:\t200\nCapEff:\t0000000001000000\n");
        assertNull(refusal());
    }

    @Test
    void aJvmThatAlreadyRunsItsListenerIsLetThroughAtItsLimit() throws IOException {
        userRuns(50);
        nproc("250");
        listener();
        assertNull(refusal());
    }

    // ---- cgroup v2

    @Test
    void aCgroupWithOnlyTheMarginLeftIsRefused() throws IOException {
        process(PID, 1000, 200);
        cgroupLine("0::/system.slice/app.service");
        pids("system.slice/app.service", "300", "292");
        assertEquals(refused("its cgroup " + cgroup.resolve("system.slice/app.service")
                + " runs 292 of 300 tasks allowed by its pids.max"), refusal());
    }

    @Test
    void aCgroupWhoseParentIsFullIsRefused() throws IOException {
        process(PID, 1000, 200);
        cgroupLine("0::/system.slice/app.service");
        pids("system.slice/app.service", "max", "200");
        pids("system.slice", "1000", "1000");
        assertEquals(refused("its cgroup's ancestor " + cgroup.resolve("system.slice")
                + " runs 1000 of 1000 tasks allowed by its pids.max"), refusal());
    }

    @Test
    void aCgroupWithoutLimitOrFarFromItIsLetThrough() throws IOException {
        process(PID, 1000, 200);
        cgroupLine("0::/system.slice/app.service");
        pids("system.slice/app.service", "max", "100000");
        pids("system.slice", "100000", "200");
        assertNull(refusal());
    }

    @Test
    void aJvmThatAlreadyRunsItsListenerIsLetThroughAtItsCgroupLimit() throws IOException {
        process(PID, 1000, 200);
        listener();
        cgroupLine("0::/app");
        pids("app", "200", "200");
        assertNull(refusal());
    }

    @Test
    void aCgroupOutsideTheReadersNamespaceIsNoInformation() throws IOException {
        process(PID, 1000, 200);
        cgroupLine("0::/../../elsewhere");
        pids("elsewhere", "200", "200");
        assertNull(refusal());
    }

    // ---- cgroup v1

    @Test
    void aFullPidsCgroupV1IsRefused() throws IOException {
        process(PID, 1000, 200);
        cgroupLine("4:memory:/docker/abc\n3:pids:/docker/abc\n0::/");
        pids("pids/docker/abc", "250", "245");
        assertEquals(refused("its cgroup " + cgroup.resolve("pids/docker/abc")
                + " runs 245 of 250 tasks allowed by its pids.max"), refusal());
    }

    // ---- kernel.threads-max

    @Test
    void aHostAtThreadsMaxIsRefused() throws IOException {
        process(PID, 0, 200);
        write(proc.resolve("sys/kernel/threads-max"), "5000\n");
        write(proc.resolve("loadavg"), "0.10 0.20 0.30 3/4995 999\n");
        assertEquals(refused("the host runs 4995 of 5000 threads allowed by /proc/sys/kernel/threads-max"), refusal());
    }

    @Test
    void aHostFarFromThreadsMaxIsLetThrough() throws IOException {
        process(PID, 0, 200);
        write(proc.resolve("sys/kernel/threads-max"), "5000\n");
        write(proc.resolve("loadavg"), "0.10 0.20 0.30 3/300 999\n");
        assertNull(refusal());
    }

    // ---- no information

    @Test
    void noProcAtAllIsNoInformation() {
        assertNull(AttachHeadroom.refusal(PID, tmp.resolve("none"), tmp.resolve("none either")));
    }

    @Test
    void malformedFilesAreNoInformation() throws IOException {
        userRuns(50);
        write(proc.resolve(PID + "/limits"), "Max processes             lots                 lots                 processes\n");
        cgroupLine("garbage\n0::/app");
        pids("app", "two hundred", "200");
        write(proc.resolve("sys/kernel/threads-max"), "\n");
        write(proc.resolve("loadavg"), "0.10 0.20\n");
        assertNull(refusal());
    }

    @Test
    void aMalformedStatusIsNoInformation() throws IOException {
        userRuns(50);
        nproc("250");
        write(proc.resolve(PID + "/status"), "Uid:\tnobody\nThreads:\t200\n");
        assertNull(refusal());
    }

    @Test
    void unreadableFilesAreNoInformation() throws IOException {
        // a directory where a file is expected fails to read even for root, as a denied file does
        userRuns(50);
        Files.createDirectories(proc.resolve(PID + "/limits"));
        Files.createDirectories(proc.resolve(PID + "/cgroup"));
        Files.createDirectories(proc.resolve("sys/kernel/threads-max"));
        assertNull(refusal());
    }

    @Test
    void aListenerThatCannotBeLookedForCountsAsAbsent() throws IOException {
        userRuns(50);
        nproc("250");
        write(proc.resolve(PID + "/task/4250/comm/x"), "Attach Listener\n"); // comm unreadable
        assertEquals(refused(userWhy(250, 250)), refusal());
    }

    // ---- this host

    @Test
    void thisJvmIsFarFromEveryLimit() {
        assertNull(AttachHeadroom.refusal(ProcessHandle.current().pid()));
    }
    // ---- file descriptors: a JVM that cannot answer an attach at all

    private void openFiles(long soft, int open) throws IOException {
        write(proc.resolve(PID + "/limits"), "Limit                     Soft Limit           Hard Limit           Units     \n"
                + "Max open files            " + soft + "                  " + soft + "                  files     \n");
        Path fd = Files.createDirectories(proc.resolve(PID + "/fd"));
        for (int i = 0; i < open; i++) {
            Files.createFile(fd.resolve(Integer.toString(i)));
        }
    }

    @Test
    void aJvmWithoutDescriptorsToAnswerAnAttachIsRefusedEvenWithAListener() throws IOException {
        process(PID, 1000, 20);
        listener();
        openFiles(64, 63);
        assertEquals("pid 4242 has 1 of 64 file descriptors free: it cannot answer an attach (the JVM's attach"
                + " listener would wait for one for good); free descriptors or raise its limit (ulimit -n), then retry",
                refusal());
    }

    @Test
    void aFewDescriptorsFreeAreEnoughForAnAttach() throws IOException {
        process(PID, 1000, 20);
        openFiles(64, 61);
        assertNull(refusal());
    }

    @Test
    void descriptorsThatCannotBeCountedAreNoInformation() throws IOException {
        process(PID, 1000, 20);
        write(proc.resolve(PID + "/limits"), "Max open files            64                   64                   files\n");
        assertNull(refusal(), "no fd directory to count");
    }
}
