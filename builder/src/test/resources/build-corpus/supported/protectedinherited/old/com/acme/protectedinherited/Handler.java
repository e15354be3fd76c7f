package com.acme.protectedinherited;

import com.acme.protectedinherited.lib.AbstractHandler;

public class Handler extends AbstractHandler {
    @Override
    public String handle(String request) {
        return request;
    }
}
