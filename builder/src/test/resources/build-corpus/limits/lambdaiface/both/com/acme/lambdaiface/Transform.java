package com.acme.lambdaiface;

@FunctionalInterface
interface Transform {
    String apply(String s);
}
