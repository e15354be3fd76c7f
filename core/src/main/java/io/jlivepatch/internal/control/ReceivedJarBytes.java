package io.jlivepatch.internal.control;

import io.jlivepatch.internal.Log;

import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The patch JAR bytes the control socket's calls hold, from the moment a call announces them until
 * the call has run: at most one JAR's size limit ({@code max-jar-bytes}) together, whatever the
 * number of connections. Each call is bounded on its own (Wire.CallBudget), but eight connections
 * that each sent most of a 64 MiB JAR, and then one byte now and then (never quiet long enough to
 * be closed as stalled), held eight times that in the application's heap, and a JVM sized for its
 * application met OutOfMemoryError in the application's own threads. Loads run one at a time
 * anyway (jlivepatch's lock): a second JAR arriving meanwhile gains nothing.
 *
 * <p>A call that finds no room closes the connections holding it that have waited for their client
 * for the idle limit (ControlServer's: a call still arriving after that is a peer that stalls, not
 * a command writing from memory), and waits for room as long as an operation waits for jlivepatch's
 * lock (a load that runs holds its room, as it holds the lock): the second of two loads waits as it
 * did for the lock. Then it is refused with {@code BUSY} (its bytes are read and dropped as they
 * arrive, so that the connection goes on). One object per server, shared by its sessions' threads.
 */
final class ReceivedJarBytes {

    private final Set<ControlSession> live;
    /** The bytes the sessions hold room for. Guarded by this; waits on this pair with {@link #give}'s notifyAll. */
    private long held;

    /** @param live the server's sessions, among which the holders are */
    ReceivedJarBytes(Set<ControlSession> live) {
        this.live = live;
    }

    /**
     * Takes room for {@code bytes} (at most {@code limit}, the JAR size limit) for {@code asking}'s
     * call; the call gives it back with {@link #give} once it has run, or failed.
     *
     * @param wait how long to wait for room others' calls hold (PatchRegistry's lock wait)
     * @return whether room was taken: false when others' calls held it for all of {@code wait}
     */
    boolean take(ControlSession asking, long bytes, long limit, java.time.Duration wait) {
        if (tryTake(bytes, limit)) {
            return true;
        }
        closeIdleHolders(asking);
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (this) {
            while (!fits(bytes, limit)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            held += bytes;
            return true;
        }
    }

    /** Gives back room taken by {@link #take}. */
    synchronized void give(long bytes) {
        held -= bytes;
        notifyAll(); // pairs with the wait in take
    }

    /** What the sessions hold room for, in bytes; for tests. */
    synchronized long held() {
        return held;
    }

    private synchronized boolean tryTake(long bytes, long limit) {
        if (!fits(bytes, limit)) {
            return false;
        }
        held += bytes;
        return true;
    }

    /** Caller holds this. With nothing held, one JAR within the limit always fits (the limit may have been lowered). */
    private boolean fits(long bytes, long limit) {
        return bytes == 0 || held == 0 || held + bytes <= limit;
    }

    /**
     * Closes the other sessions holding room that have waited for their client for the idle limit:
     * a call still arriving, never one that runs (ControlSession.evictIfIdle). Their threads give the
     * room back as their reads fail.
     */
    private void closeIdleHolders(ControlSession asking) {
        long now = System.nanoTime();
        long limit = ControlServer.idleNanos(); // a place's idle limit: a call arriving for that long stalls
        for (ControlSession s : live) {
            long bytes = s.jarBytesHeld(); // read before the close: its thread clears it as it ends
            if (s == asking || bytes == 0) {
                continue;
            }
            long idle = s.idleNanos(now);
            if (s.evictIfIdle(now, limit)) {
                Log.get().log(System.Logger.Level.WARNING, "closed a jlivepatch command's connection that had sent"
                        + " part of a patch JAR (" + bytes + " bytes announced) and had not completed its call in "
                        + TimeUnit.NANOSECONDS.toMillis(idle) + " ms, to make room for another's (calls hold at most"
                        + " one patch JAR's size limit at once)");
            }
        }
    }
}
