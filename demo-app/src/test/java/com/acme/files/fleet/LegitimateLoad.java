package com.acme.files.fleet;

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
import java.util.concurrent.atomic.LongAdder;

/**
 * Clients of one JVM that request legitimate files over and over, as the demo's
 * {@code com.acme.files.demo.LoadClients} does, and check every answer: status 200 and exactly the
 * file's content. Each client pauses briefly between requests: a fleet of five services and their
 * clients share two CPUs here, and saturating them would measure the machine, not the watcher.
 */
public final class LegitimateLoad implements AutoCloseable {

    private static final Duration PAUSE = Duration.ofMillis(5);
    private static final int KEPT_FAILURES = 5;

    private final HttpClient http;
    private final List<HttpRequest> requests = new ArrayList<>();
    private final List<byte[]> expected = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final LongAdder ok = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();
    private volatile boolean stop;

    /** @param files legitimate names and the content each must come back with */
    public LegitimateLoad(HttpClient http, URI base, Map<String, byte[]> files, int clients, String name) {
        this.http = http;
        files.forEach((file, content) -> {
            requests.add(HttpRequest.newBuilder(base.resolve("/files?name=" + URLEncoder.encode(file,
                    StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(10)).GET().build());
            expected.add(content);
        });
        for (int i = 0; i < clients; i++) {
            int first = i;
            Thread t = new Thread(() -> run(first), name + "-client-" + (i + 1));
            t.setDaemon(true);
            threads.add(t);
        }
    }

    public void start() {
        threads.forEach(Thread::start);
    }

    private void run(int first) {
        for (int i = first; !stop; i++) {
            int k = i % requests.size();
            try {
                HttpResponse<byte[]> response = http.send(requests.get(k), HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() == 200 && Arrays.equals(response.body(), expected.get(k))) {
                    ok.increment();
                } else {
                    fail(k, "HTTP " + response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8).strip());
                }
                Thread.sleep(PAUSE.toMillis());
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (!stop) {
                    fail(k, e.toString());
                }
            }
        }
    }

    private void fail(int k, String what) {
        failed.increment();
        if (failures.size() < KEPT_FAILURES) {
            failures.add(Thread.currentThread().getName() + ": GET " + requests.get(k).uri().getRawQuery() + " -> " + what);
        }
    }

    /** Requests answered correctly so far. */
    public long ok() {
        return ok.sum();
    }

    /** Requests that failed so far: an error, a wrong status or a wrong body. */
    public long failed() {
        return failed.sum();
    }

    /** The first few failures, for the assertion message. */
    public List<String> failures() {
        return List.copyOf(failures);
    }

    /** Stops the clients and waits for them (each ends within its request's timeout). */
    @Override
    public void close() throws InterruptedException {
        stop = true;
        for (Thread t : threads) {
            t.join(15_000);
        }
    }
}
