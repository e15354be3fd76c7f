package io.jlivepatch.bench;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A wall-clock sampler of the start-up thread, run by {@link StartupProfile} as the first
 * {@code -javaagent} of a child JVM, before jlivepatch's: its {@code premain} starts a daemon thread
 * that takes the {@code main} thread's stack every millisecond until that stack reaches the
 * application's {@code main} (class {@code bench.startup.*}), then writes the stacks to the
 * file named by its argument, each stack with the wall-clock time it stands for (the time since the
 * sample before it):
 * <pre>elapsedNanos &lt;n&gt;
 * samples &lt;n&gt;
 * &lt;microseconds&gt;\t&lt;frame;frame;...&gt;   (root first, one line per distinct stack)</pre>
 *
 * <p>Why not JFR's {@code jdk.ExecutionSample}: it samples only threads running Java code, while most
 * of an agent's start-up is the VM's (loading, linking and verifying classes, retransforming); a
 * {@code getStackTrace} taken from another thread waits for the sampled thread to leave the VM and so
 * charges that time to the Java frame that caused it, which is the attribution wanted here. JFR also
 * starts its own machinery in the JVM being measured. The bias is the one of any safepoint-based
 * sampler: a sample lands on the next poll.
 *
 * <p>One class, no lambda, no string concatenation ({@code invokedynamic}) before the application's
 * {@code main}, so that it initializes
 * nothing of the JDK that jlivepatch would otherwise be charged for.
 */
public final class StartupSampler implements Runnable {

    private static final long PERIOD_NANOS = 1_000_000;
    private static final long GIVE_UP_NANOS = 60_000_000_000L;
    /** Samples in a row without a Java frame after which main is taken as come and gone. */
    private static final int GIVE_UP_EMPTY = 300;

    private final Thread target;
    private final String out;
    private final Map<String, long[]> stacks = new HashMap<>();

    private StartupSampler(Thread target, String out) {
        this.target = target;
        this.out = out;
    }

    public static void premain(String args, Instrumentation inst) {
        Thread t = new Thread(new StartupSampler(Thread.currentThread(), args), "startup-sampler");
        // Not a daemon: the JVM must wait for the stacks to be written after main returns.
        t.setDaemon(false);
        t.setPriority(Thread.MAX_PRIORITY);
        t.start();
    }

    @Override
    public void run() {
        long start = System.nanoTime();
        long last = start;       // when the previous sample was taken
        long lastFrames = start; // when the last sample with a Java frame was taken
        long emptyMicros = 0;    // stacks without a Java frame since then, not charged yet
        int emptyRun = 0;
        int samples = 0;
        while (last - start < GIVE_UP_NANOS) {
            StackTraceElement[] st = target.getStackTrace();
            long now = System.nanoTime();
            long micros = (now - last) / 1000; // each sample stands for the time since the one before
            last = now;
            if (reachedMain(st)) {
                break;
            }
            if (st.length == 0) {
                // Between two agents' premains the thread runs native code only; once main has come
                // and gone (too fast to be sampled), it stays so while the JVM waits for this thread.
                emptyMicros += micros;
                if (++emptyRun >= GIVE_UP_EMPTY) {
                    break;
                }
            } else {
                if (emptyRun > 0) {
                    charge("(no Java frame)", emptyMicros);
                    samples += emptyRun;
                    emptyMicros = 0;
                    emptyRun = 0;
                }
                StringBuilder sb = new StringBuilder(st.length * 48);
                for (int i = st.length - 1; i >= 0; i--) {
                    sb.append(st[i].getClassName()).append('.').append(st[i].getMethodName());
                    if (i > 0) {
                        sb.append(';');
                    }
                }
                charge(sb.toString(), micros);
                samples++;
                lastFrames = now;
            }
            long next = now + PERIOD_NANOS;
            while ((now = System.nanoTime()) < next) {
                try {
                    Thread.sleep(0, (int) Math.min(999_999, next - now));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
        if (emptyRun < GIVE_UP_EMPTY && emptyRun > 0) { // reached main: the last gap was before it
            charge("(no Java frame)", emptyMicros);
            samples += emptyRun;
            lastFrames = last;
        }
        long elapsed = lastFrames - start;
        try (Writer w = new OutputStreamWriter(new FileOutputStream(out), StandardCharsets.UTF_8)) {
            w.write("elapsedNanos " + elapsed + "\nsamples " + samples + "\n");
            for (Map.Entry<String, long[]> e : stacks.entrySet()) {
                w.write(e.getValue()[0] + "\t" + e.getKey() + "\n");
            }
        } catch (IOException e) {
            System.err.println("StartupSampler: cannot write " + out + ": " + e);
        }
    }

    private void charge(String stack, long micros) {
        long[] c = stacks.get(stack);
        if (c == null) {
            stacks.put(stack, new long[] {micros});
        } else {
            c[0] += micros;
        }
    }

    private static boolean reachedMain(StackTraceElement[] st) {
        for (StackTraceElement e : st) {
            if (e.getClassName().startsWith("bench.startup.")) {
                return true;
            }
        }
        return false;
    }
}
