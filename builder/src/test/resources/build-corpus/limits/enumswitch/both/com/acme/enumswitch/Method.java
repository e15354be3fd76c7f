package com.acme.enumswitch;

public enum Method {
    GET, POST, DELETE, PATCH
}
