package com.acme.newclasscallsadded;

public class Host {
    public String greet(String name) {
        return Wrapper.wrap(name);
    }

    static String decorate(String s) {
        return "[" + s + "]";
    }
}
