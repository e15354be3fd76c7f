package app;

import app.api.ServiceInfo;
import app.internal.FileStore;
import app.internal.Prices;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import lib.text.Names;

public final class Main {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path portFile = Path.of(args[1]);
        FileStore store = new FileStore(dir);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/files", ex -> {
            String name = Names.clean(param(ex, "name"));
            try {
                send(ex, 200, store.read(name));
            } catch (SecurityException e) {
                send(ex, 403, ("forbidden: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
            } catch (NoSuchFileException e) {
                send(ex, 404, "no such file".getBytes(StandardCharsets.UTF_8));
            } catch (Throwable e) {
                send(ex, 500, e.toString().getBytes(StandardCharsets.UTF_8));
            }
        });
        server.createContext("/price", ex -> {
            try {
                int q = Integer.parseInt(Names.clean(param(ex, "qty")));
                send(ex, 200, Integer.toString(Prices.total(q)).getBytes(StandardCharsets.UTF_8));
            } catch (Throwable e) {
                send(ex, 500, e.toString().getBytes(StandardCharsets.UTF_8));
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.start();
        Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
        Files.writeString(tmp, Integer.toString(server.getAddress().getPort()));
        Files.move(tmp, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        System.out.println(ServiceInfo.NAME + " listening on " + server.getAddress().getPort());
    }

    private static String param(HttpExchange ex, String key) {
        String q = ex.getRequestURI().getRawQuery();
        if (q == null) return null;
        for (String kv : q.split("&")) {
            int i = kv.indexOf('=');
            if (i > 0 && kv.substring(0, i).equals(key)) {
                return URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static void send(HttpExchange ex, int code, byte[] body) throws IOException {
        ex.sendResponseHeaders(code, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
