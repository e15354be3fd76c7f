package com.acme.newclassotherpackage;

import com.acme.newclassotherpackage.util.Escaper;

public class Service {
    public String handle(String request) {
        return Escaper.escape(request);
    }
}
