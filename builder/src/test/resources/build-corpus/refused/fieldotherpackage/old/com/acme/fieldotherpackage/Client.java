package com.acme.fieldotherpackage;

import com.acme.fieldotherpackage.util.Config;

public class Client {
    public int attempts(Config c) {
        return 1;
    }
}
