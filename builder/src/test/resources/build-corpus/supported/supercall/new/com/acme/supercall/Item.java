package com.acme.supercall;

import com.acme.supercall.lib.Base;

public class Item extends Base implements Labeled {
    @Override
    public String describe(String what) {
        return "item:" + super.describe(what.trim()) + " weighs " + super.weight() + " (own " + weight() + ")";
    }

    @Override
    protected int weight() {
        return 5;
    }

    @Override
    public String label(String what) {
        return Labeled.super.label(what).toUpperCase() + "!";
    }
}
