package com.acme.files;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A small HTTP file service on the JDK's built-in server.
 *
 * <pre>
 * GET /files?name=docs/guide.txt   200 with the file's content
 *                                  400 no or malformed name
 *                                  403 a name the store refuses ({@link SecurityException})
 *                                  404 no such file
 * </pre>
 *
 * Every file comes through {@link FileStore#read(String)} and so through the buggy
 * {@link FileStore#resolve(String)}.
 */
public final class FileService implements AutoCloseable {

    private static final String NODELAY = "sun.net.httpserver.nodelay";
    private static final int MAX_LOGGED_ERRORS = 5;

    private final FileStore store;
    private final HttpServer server;
    private final ExecutorService workers;
    private final LongAdder served = new LongAdder();
    private final AtomicLong serverErrors = new AtomicLong();

    private FileService(FileStore store, HttpServer server, ExecutorService workers) {
        this.store = store;
        this.server = server;
        this.workers = workers;
    }

    /** Starts serving {@code store} on {@code address} (port 0: an ephemeral port) with {@code threads} workers. */
    public static FileService start(FileStore store, InetSocketAddress address, int threads) throws IOException {
        // The JDK server writes headers and body separately; with Nagle's algorithm on, a client's
        // delayed ACK then costs every response about 40 ms. Read once, when the server starts first.
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
        HttpServer server = HttpServer.create(address, 128);
        AtomicInteger n = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "files-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        FileService service = new FileService(store, server, workers);
        server.createContext("/files", service::handle);
        server.setExecutor(workers);
        server.start();
        return service;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** {@code http://127.0.0.1:<port>} */
    public URI baseUri() {
        InetSocketAddress a = address();
        return URI.create("http://" + a.getAddress().getHostAddress() + ":" + a.getPort());
    }

    public FileStore store() {
        return store;
    }

    /** Responses sent so far, whatever their status. */
    public long requestsServed() {
        return served.sum();
    }

    /** Responses with status 500 so far: a request the service failed on. */
    public long serverErrors() {
        return serverErrors.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", "GET");
                send(exchange, 405, "only GET is supported\n");
                return;
            }
            String name;
            try {
                name = queryParameter(exchange.getRequestURI().getRawQuery(), "name");
            } catch (IllegalArgumentException e) {
                send(exchange, 400, "malformed query: " + e.getMessage() + "\n");
                return;
            }
            if (name == null) {
                send(exchange, 400, "usage: GET /files?name=<file name relative to the served directory>\n");
                return;
            }
            int status;
            byte[] body;
            try {
                body = store.read(name);
                status = 200;
            } catch (SecurityException e) {
                status = 403;
                body = ("forbidden: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                status = 404;
                body = ("not found: " + name + "\n").getBytes(StandardCharsets.UTF_8);
            } catch (InvalidPathException e) {
                status = 400;
                body = ("not a file name: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                status = 500;
                body = ("internal error\n").getBytes(StandardCharsets.UTF_8);
                long errors = serverErrors.incrementAndGet();
                if (errors <= MAX_LOGGED_ERRORS) {
                    System.err.println("files: GET name=" + name + " failed: " + e
                            + (errors == MAX_LOGGED_ERRORS ? " (further errors are counted, not logged)" : ""));
                }
            }
            send(exchange, status, body);
        }
    }

    private void send(HttpExchange exchange, int status, String text) throws IOException {
        send(exchange, status, text.getBytes(StandardCharsets.UTF_8));
    }

    private void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
        served.increment();
    }

    /** The decoded value of {@code key} in a raw query string, or {@code null}. */
    static String queryParameter(String rawQuery, String key) {
        if (rawQuery == null) {
            return null;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            if (k.equals(key)) {
                return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** Stops accepting requests and ends the worker threads. */
    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Runs the service on its own: {@code FileService <directory> [port]}, on 127.0.0.1 (port 0 or
     * none: an ephemeral port), until the JVM is stopped. Prints two lines that programs may rely on:
     *
     * <pre>
     * serving /srv/www on http://127.0.0.1:41234/files?name=...
     * stopped after 1234 requests (0 with HTTP 500)
     * </pre>
     *
     * the first once it accepts requests, the second when it is stopped (SIGTERM, Ctrl-C).
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 3) {
            System.err.println("usage: java -cp jlivepatch-demo.jar com.acme.files.FileService <directory> [port"
                    + " [bind-address]]");
            System.exit(2);
        }
        FileStore store = new FileStore(Path.of(args[0]));
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        // Loopback unless told otherwise: the service has a hole on purpose. In a container, where
        // the pod's network is the boundary, 0.0.0.0 (deploy/kubernetes).
        InetAddress bind = args.length > 2 ? InetAddress.getByName(args[2]) : InetAddress.getLoopbackAddress();
        FileService service = start(store, new InetSocketAddress(bind, port), 8);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            System.out.println("stopped after " + service.requestsServed() + " requests ("
                    + service.serverErrors() + " with HTTP 500)");
            System.out.flush();
            stopped.countDown();
        }, "files-shutdown"));
        System.out.println("serving " + store.baseDir() + " on " + service.baseUri() + "/files?name=...");
        System.out.flush();
        stopped.await();
    }
}
