package com.acme.fieldcontention;

import java.util.ArrayList;
import java.util.List;

/**
 * Added fields under contention: several threads increment an added {@code int} and {@code long}
 * inside synchronized blocks and methods, and an added static {@code long} under the class's
 * monitor, all at once. The new build loses no update, so neither may the patch: the holder of
 * each shadow variable is made once per object, and read and written under the same monitors.
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"2x1000", "4x20000", "8x5000"};
    }

    public static String run(String input) throws InterruptedException {
        String[] parts = input.split("x");
        int threads = Integer.parseInt(parts[0]);
        int rounds = Integer.parseInt(parts[1]);
        Counter c = new Counter();
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int step = t + 1;
            Thread th = new Thread(() -> {
                for (int i = 0; i < rounds; i++) {
                    c.hit(step);
                }
            });
            all.add(th);
        }
        all.forEach(Thread::start);
        for (Thread th : all) {
            th.join();
        }
        return c.report();
    }
}
