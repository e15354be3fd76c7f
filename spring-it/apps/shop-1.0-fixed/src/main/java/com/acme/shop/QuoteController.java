package com.acme.shop;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

@RestController
public class QuoteController {

    private final PricingService pricing;

    public QuoteController(PricingService pricing) {
        this.pricing = pricing;
    }

    @GetMapping("/quote")
    public String quote(@RequestParam("unit") int unitCents, @RequestParam("qty") int qty) {
        return Long.toString(pricing.quote(unitCents, qty));
    }

    @GetMapping("/catalog")
    public List<String> catalog() {
        return pricing.catalog();
    }

    /** The class of the PricingService bean: Spring's CGLIB proxy of it, made for its cache. */
    @GetMapping("/pricing-class")
    public String pricingClass() {
        return pricing.getClass().getName();
    }
}
