package com.acme.newclasscallsadded;

final class Wrapper {
    static String wrap(String name) {
        return "hi " + Host.decorate(name);
    }
}
