package com.acme.enumswitch;

public class Router {
    public String route(Method m) {
        switch (m) {
            case GET:
                return "read";
            case POST:
                return "create";
            case DELETE:
                return "remove";
            default:
                throw new UnsupportedOperationException(m + " is not routed");
        }
    }
}
