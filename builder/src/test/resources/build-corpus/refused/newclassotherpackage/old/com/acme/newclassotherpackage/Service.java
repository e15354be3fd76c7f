package com.acme.newclassotherpackage;

public class Service {
    public String handle(String request) {
        return request;
    }
}
