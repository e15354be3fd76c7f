package com.acme.supercall;

import com.acme.supercall.lib.Base;

public class Item extends Base implements Labeled {
    @Override
    public String describe(String what) {
        return "item:" + super.describe(what);
    }

    @Override
    protected int weight() {
        return 5;
    }

    @Override
    public String label(String what) {
        return "item-" + what;
    }
}
