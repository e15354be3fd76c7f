package com.acme.files.demo;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Client threads that request legitimate files over and over and check every answer: status 200
 * and exactly the file's content. Bounded: each stops when told to or when its deadline passes.
 */
final class LoadClients {

    private static final int MAX_REPORTED_FAILURES = 5;

    private final HttpClient http;
    private final List<HttpRequest> requests = new ArrayList<>();
    private final List<byte[]> expected = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final long deadlineNanos;
    private final LongAdder ok = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicInteger reported = new AtomicInteger();
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();
    private volatile boolean stop;
    private volatile long startNanos;

    /**
     * @param files    legitimate file names and the content each must come back with
     * @param maxRun   how long the clients run at most, whatever happens to the driver
     */
    LoadClients(HttpClient http, URI base, Map<String, byte[]> files, int clients, Duration maxRun) {
        this.http = http;
        this.deadlineNanos = System.nanoTime() + maxRun.toNanos();
        files.forEach((name, content) -> {
            requests.add(request(base, name));
            expected.add(content);
        });
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(this::run, "client-" + (i + 1));
            t.setDaemon(true);
            threads.add(t);
        }
    }

    static HttpRequest request(URI base, String name) {
        return HttpRequest.newBuilder(base.resolve("/files?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build();
    }

    void start() {
        startNanos = System.nanoTime();
        threads.forEach(Thread::start);
    }

    /** How long the clients have been running. */
    long runningNanos() {
        return System.nanoTime() - startNanos;
    }

    private void run() {
        int i = threads.indexOf(Thread.currentThread());
        while (!stop && System.nanoTime() - deadlineNanos < 0) {
            int k = i++ % requests.size();
            HttpRequest request = requests.get(k);
            try {
                HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() == 200 && Arrays.equals(response.body(), expected.get(k))) {
                    ok.increment();
                } else {
                    fail(request, "HTTP " + response.statusCode() + " "
                            + LivePatchDemo.preview(new String(response.body(), StandardCharsets.UTF_8)));
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                fail(request, e.toString());
            }
        }
    }

    private void fail(HttpRequest request, String what) {
        failed.increment();
        if (reported.getAndIncrement() < MAX_REPORTED_FAILURES) {
            failures.add(Thread.currentThread().getName() + ": GET " + request.uri().getRawQuery() + " -> " + what);
        }
    }

    /** Legitimate requests answered correctly so far. */
    long ok() {
        return ok.sum();
    }

    /** Legitimate requests that failed so far: an error, a wrong status or a wrong body. */
    long failed() {
        return failed.sum();
    }

    /** The first few failures, for the log. */
    List<String> failures() {
        return List.copyOf(failures);
    }

    int count() {
        return threads.size();
    }

    /** Asks every client to stop and waits for them; {@code true} when all have. */
    boolean stop(Duration timeout) throws InterruptedException {
        stop = true;
        long end = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            long left = end - System.nanoTime();
            if (left > 0) {
                t.join(Math.max(1, left / 1_000_000));
            }
        }
        return threads.stream().noneMatch(Thread::isAlive);
    }

    /** Whether every client is still running (none stopped at its deadline or died). */
    boolean allRunning() {
        return threads.stream().allMatch(Thread::isAlive);
    }
}
