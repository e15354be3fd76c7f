package com.acme.body;

public class Pricing {
    public int price(int quantity) {
        if (quantity < 0) {
            throw new IllegalArgumentException("negative quantity: " + quantity);
        }
        int unitPrice = quantity >= 100 ? 10 : 12;
        return quantity * unitPrice;
    }
}
