package com.acme.shop;

import com.acme.money.Money;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.stereotype.Service;

import java.util.List;

/** Prices; the @Cacheable catalog makes Spring proxy this bean with CGLIB (PricingService$$SpringCGLIB$$0). */
@Service
public class PricingService {

    @Cacheable("catalog")
    public List<String> catalog() {
        return List.of("widget", "gadget");
    }

    /** Total price in cents, 10% off from 10 items, rounded to 5 cents. Bug: the discount starts at 11. */
    public long quote(int unitCents, int qty) {
        long total = (long) unitCents * qty;
        if (qty > 10) {
            total = total * 90 / 100;
        }
        return Money.roundToNickel(total);
    }
}
