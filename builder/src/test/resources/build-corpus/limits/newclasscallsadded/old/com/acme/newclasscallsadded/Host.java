package com.acme.newclasscallsadded;

public class Host {
    public String greet(String name) {
        return "hi " + name;
    }
}
