package com.acme.protectedinherited.lib;

public abstract class AbstractHandler {
    protected int limit = 1;

    protected String escape(String s) {
        return "<" + s + ">";
    }

    public abstract String handle(String request);
}
