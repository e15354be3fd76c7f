package com.acme.protectedinherited;

import com.acme.protectedinherited.lib.AbstractHandler;

public class Handler extends AbstractHandler {
    @Override
    public String handle(String request) {
        if (request.length() > limit) {
            throw new IllegalArgumentException("longer than " + limit + ": " + escape(request));
        }
        return escape(request);
    }
}
