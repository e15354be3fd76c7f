import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/** Clients of modapp: legitimate requests must always answer right; probes answer either the bug's way or the fix's. */
public class Client {
    public static void main(String[] args) throws Exception {
        Path portFile = Path.of(args[0]);
        Path stop = Path.of(args[1]);
        int threads = Integer.parseInt(args[2]);
        while (!Files.exists(portFile)) Thread.sleep(50);
        String base = "http://127.0.0.1:" + Files.readString(portFile).trim();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        AtomicLong ok = new AtomicLong(), failed = new AtomicLong(), oldAns = new AtomicLong(), newAns = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            ts[t] = new Thread(() -> {
                int i = 0;
                while (!Files.exists(stop)) {
                    i++;
                    try {
                        check(http, base + "/files?name=a.txt", 200, "alpha\n", ok, failed, failures);
                        check(http, base + "/price?qty=3", 200, "750", ok, failed, failures);
                        if (i % 5 == 0) {
                            HttpResponse<String> r = get(http, base + "/files?name=../secret.txt");
                            if (r.statusCode() == 200 && r.body().equals("TOP-SECRET\n")) oldAns.incrementAndGet();
                            else if (r.statusCode() == 403) newAns.incrementAndGet();
                            else { failed.incrementAndGet(); failures.add("probe traversal: " + r.statusCode() + " " + r.body()); }
                            HttpResponse<String> p = get(http, base + "/price?qty=10");
                            if (p.statusCode() == 200 && p.body().equals("2475")) oldAns.incrementAndGet();
                            else if (p.statusCode() == 200 && p.body().equals("2250")) newAns.incrementAndGet();
                            else { failed.incrementAndGet(); failures.add("probe price: " + p.statusCode() + " " + p.body()); }
                        }
                    } catch (Exception e) {
                        failed.incrementAndGet(); failures.add(e.toString());
                    }
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) t.join();
        System.out.println("client summary: ok=" + ok + " failed=" + failed + " probes old=" + oldAns + " new=" + newAns);
        failures.stream().limit(10).forEach(f -> System.out.println("  failure: " + f));
        System.exit(failed.get() == 0 ? 0 : 1);
    }

    static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static void check(HttpClient http, String url, int code, String body, AtomicLong ok, AtomicLong failed,
            ConcurrentLinkedQueue<String> failures) throws Exception {
        HttpResponse<String> r = get(http, url);
        if (r.statusCode() == code && r.body().equals(body)) ok.incrementAndGet();
        else { failed.incrementAndGet(); failures.add(url + " -> " + r.statusCode() + " " + r.body()); }
    }
}
