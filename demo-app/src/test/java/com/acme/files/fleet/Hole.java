package com.acme.files.fleet;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The demo's path-traversal hole, asked of one service: {@code GET /files?name=../secret.txt}
 * answers the secret while the hole is open and 403 once {@code FileStore.resolve} is patched.
 */
public final class Hole {

    /** What one request found. */
    public enum Found { OPEN, CLOSED }

    private final HttpClient http;
    private final HttpRequest request;
    private final String secret;

    public Hole(HttpClient http, URI base, String traversal, String secret) {
        this.http = http;
        this.request = HttpRequest.newBuilder(base.resolve("/files?name=" + URLEncoder.encode(traversal,
                StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(10)).GET().build();
        this.secret = secret;
    }

    /** @throws IOException when the answer is neither the secret nor a 403: the service misbehaves */
    public Found probe() throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200 && response.body().equals(secret)) {
            return Found.OPEN;
        }
        if (response.statusCode() == 403) {
            return Found.CLOSED;
        }
        throw new IOException("GET " + request.uri() + " answered HTTP " + response.statusCode() + ": " + response.body());
    }
}
