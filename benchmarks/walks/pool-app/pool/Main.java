package pool;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Timer;
import java.util.TimerTask;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny service of a thread pool: 2 clients submit Work.answer(i) to the pool and check every answer
 * (2i or 3i: the old version or the patched one), a java.util.Timer ticks every 50 ms (its thread is always
 * inside java.util.TimerThread.mainLoop), and one pool worker runs Consumer.loop for good (a task that never
 * returns to ThreadPoolExecutor.runWorker); once the file args[0] + ".more" exists a second worker enters
 * Consumer.loop (the walk creates it while a patch of that method is enabled). Writes "served=<n> failed=<n> ticks=<n> consumed=<n>" to the
 * file args[0] every 200 ms.
 */
public final class Main {
    static final AtomicLong served = new AtomicLong();
    static final AtomicLong failed = new AtomicLong();
    static final AtomicLong ticks = new AtomicLong();

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = new ThreadPoolExecutor(5, 5, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> new Thread(r, "pool-worker-" + n.incrementAndGet()));
        LinkedBlockingQueue<Integer> inbox = new LinkedBlockingQueue<>();
        pool.execute(() -> Consumer.loop(inbox));
        new Timer("ticker").scheduleAtFixedRate(new TimerTask() {
            @Override public void run() { ticks.incrementAndGet(); inbox.offer((int) ticks.get()); }
        }, 0, 50);
        for (int c = 0; c < 2; c++) {
            Thread client = new Thread(() -> {
                for (int i = 0; ; i = (i + 1) % 1000) {
                    int x = i;
                    try {
                        Future<Integer> f = pool.submit(() -> Work.answer(x));
                        int a = f.get(10, TimeUnit.SECONDS);
                        if (a == 2 * x || a == 3 * x) served.incrementAndGet(); else failed.incrementAndGet();
                    } catch (Exception e) {
                        failed.incrementAndGet();
                        System.out.println("client: " + e);
                    }
                }
            }, "client-" + c);
            client.setDaemon(true);
            client.start();
        }
        System.out.println("pool app running");
        Path more = Path.of(args[0] + ".more");
        boolean started = false;
        while (true) {
            if (!started && Files.exists(more)) { // the walk asks for a second Consumer.loop, entered after a patch
                started = true;
                pool.execute(() -> Consumer.loop(inbox));
            }
            Files.writeString(out, "served=" + served + " failed=" + failed + " ticks=" + ticks
                    + " consumed=" + Consumer.consumed + "\n");
            Thread.sleep(200);
        }
    }
}
