package com.acme.fieldotherpackage.util;

public class Config {
    public int retries;
}
