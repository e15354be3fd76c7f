package vt;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** N virtual threads, each a connection calling Handler.handle in a loop and checking the answer. */
public final class Server {
    static final AtomicLong calls = new AtomicLong(), v1 = new AtomicLong(), v2 = new AtomicLong(),
            mixed = new AtomicLong(), errors = new AtomicLong();
    static final AtomicReference<String> firstBad = new AtomicReference<>();

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        Handler.longParkPerMille = Integer.parseInt(args[1]);
        ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor();
        for (int i = 0; i < n; i++) {
            int id = i;
            ex.submit(() -> {
                int kind = id % 10;
                for (int x = id; ; x += 7) {
                    try {
                        String a = Handler.handle(kind, x);
                        calls.incrementAndGet();
                        if (a.equals("v1:a" + x)) v1.incrementAndGet();
                        else if (a.equals("v2:b" + x)) v2.incrementAndGet();
                        else { mixed.incrementAndGet(); firstBad.compareAndSet(null, "kind " + kind + ": " + a); }
                    } catch (Throwable e) {
                        errors.incrementAndGet();
                        firstBad.compareAndSet(null, e.toString());
                    }
                }
            });
        }
        Thread feeder = new Thread(() -> {
            while (true) {
                for (int k = 0; k < 100; k++) Handler.QUEUE.offer(k);
                try { Thread.sleep(10); } catch (InterruptedException e) { return; }
            }
        }, "feeder");
        feeder.setDaemon(true);
        feeder.start();
        System.out.println("started " + n + " virtual threads");
        long last = 0;
        while (true) {
            Thread.sleep(1000);
            long c = calls.get();
            System.out.printf("%tT calls/s=%d total=%d v1=%d v2=%d mixed=%d errors=%d%s%n", System.currentTimeMillis(),
                    c - last, c, v1.get(), v2.get(), mixed.get(), errors.get(),
                    firstBad.get() == null ? "" : " first=" + firstBad.get());
            last = c;
        }
    }
}
