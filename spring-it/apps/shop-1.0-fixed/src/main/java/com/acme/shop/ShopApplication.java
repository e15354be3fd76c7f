package com.acme.shop;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.context.WebServerInitializedEvent;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.event.EventListener;

/** A tiny shop: GET /quote?unit=137&amp;qty=10 answers the price in cents. */
@SpringBootApplication
@EnableCaching
public class ShopApplication {

    public static void main(String[] args) {
        SpringApplication.run(ShopApplication.class, args);
    }

    /** Tells whoever started it (with server.port=0) where it listens, on a line of its own. */
    @EventListener
    public void listening(WebServerInitializedEvent event) {
        System.out.println("shop listening on port " + event.getWebServer().getPort());
    }
}
