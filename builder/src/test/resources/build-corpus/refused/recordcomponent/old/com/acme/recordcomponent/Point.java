package com.acme.recordcomponent;

public record Point(int x, int y) {
}
