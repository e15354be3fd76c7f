package com.acme.enumconstant;

public enum Color {
    RED, GREEN
}
